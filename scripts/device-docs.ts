import { Type } from '@sinclair/typebox';
import { ALERT_TYPES, COMMON_ALERT_TYPES, kindRegistrations, type KindSpec } from '#devices';

/** The marked region of docs/devices.md that this module writes; everything outside it is hand-written. */
export const BEGIN = '<!-- BEGIN GENERATED: device kinds (node --import tsx scripts/gen-device-docs.ts) -->';
export const END = '<!-- END GENERATED: device kinds -->';

type JsonSchema = { type?: string; minimum?: number; maximum?: number; anyOf?: { const?: unknown }[] };

function typeAndRange(schema: unknown): [string, string] {
  const s = schema as JsonSchema;
  if (s.anyOf) return ['string', s.anyOf.map((o) => `\`"${String(o.const)}"\``).join(' / ')];
  const type = s.type ?? 'any';
  if (type === 'boolean') return ['boolean', '`true` / `false`'];
  const lo = s.minimum ?? '';
  const hi = s.maximum ?? '';
  return [type, lo === '' && hi === '' ? '' : hi === '' ? `≥ ${lo}` : `${lo} – ${hi}`];
}

const cell = (v: unknown) => String(v).replaceAll('|', '\\|');

function kindSection(spec: KindSpec): string {
  const lines = [`### \`${spec.kind}\`: ${spec.label.en} (${spec.label.zh})`, ''];
  lines.push(`Topic \`community/{c}/${spec.kind}/{id}/{channel}\`; reports every ${spec.reportingPeriodS} s (offline after the community's \`offlineAfterPeriods\` × that: \`device_offline\`, ${spec.offlineSeverity}).`, '');
  lines.push('| telemetry field | type | range | unit | label | rollup |', '| --- | --- | --- | --- | --- | --- |');
  for (const [name, f] of Object.entries(spec.fields)) {
    const [type, range] = typeAndRange(f.schema);
    lines.push(`| \`${name}\` | ${type} | ${cell(range)} | ${f.unit ?? ''} | ${f.label.en} · ${f.label.zh} | ${f.rollup === 'mean' ? 'mean' : 'raw only'} |`);
  }
  lines.push('', '| event `type` | label |', '| --- | --- |');
  for (const [type, label] of Object.entries(spec.events)) lines.push(`| \`${type}\` | ${label.en} · ${label.zh} |`);
  lines.push('', '| alert `type` | severity | label |', '| --- | --- | --- |');
  for (const [type, a] of Object.entries(spec.alerts)) lines.push(`| \`${type}\` | ${a.severity} | ${a.label.en} · ${a.label.zh} |`);
  lines.push('', `Thresholds (config file \`communities[].thresholds.${spec.thresholdsKey}\`):`, '', '| threshold | default | override allows |', '| --- | --- | --- |');
  const overrides = spec.thresholdOverrides.properties as Record<string, unknown>;
  for (const [name, value] of Object.entries(spec.thresholds)) {
    const [type, range] = typeAndRange(overrides[name] ?? Type.Unknown());
    lines.push(`| \`${name}\` | ${cell(value)} | ${type}${range ? ` ${cell(range)}` : ''} |`);
  }
  return lines.join('\n');
}

/** The generated region: the kinds' summary, each kind's tables, and the kind-independent alerts. */
export function deviceKindTables(): string {
  const specs = kindRegistrations.map((k) => k as unknown as KindSpec);
  const summary = ['| kind | device | telemetry fields | event types |', '| --- | --- | --- | --- |'];
  for (const s of specs) summary.push(`| \`${s.kind}\` | ${s.label.en} (${s.label.zh}) | ${s.readings.map((r) => `\`${r}\``).join(', ')} | ${s.eventTypes.map((e) => `\`${e}\``).join(', ')} |`);
  const common = ['Alerts any kind raises:', '', '| alert `type` | severity | label |', '| --- | --- | --- |'];
  for (const type of Object.keys(COMMON_ALERT_TYPES) as (keyof typeof COMMON_ALERT_TYPES)[]) {
    const a = ALERT_TYPES[type];
    common.push(`| \`${type}\` | ${type === 'device_offline' ? "the kind's offline severity" : a.severity} | ${a.label.en} · ${a.label.zh} |`);
  }
  return [BEGIN, '', summary.join('\n'), '', ...specs.map(kindSection).flatMap((s) => [s, '']), common.join('\n'), '', END].join('\n');
}

/** `doc` with its generated region replaced by the current tables. */
export function withCurrentTables(doc: string): string {
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/devices.md lacks the markers ${BEGIN} … ${END}`);
  return doc.slice(0, start) + deviceKindTables() + doc.slice(end + END.length);
}
