import { ALERT_TYPES, isAlertType, kindSpecs, type Alert, type DeviceKind } from '#devices';
import { localName } from '#devices/place.ts';
import type { LocalizedName } from '#devices/wire.ts';
import type { GridModel } from '../grid/model.ts';
import type { DeviceRegistry } from '../registry/devices.ts';

export type CsvLang = 'zh' | 'en';

/** Names a person reads in place of ids: the config file's and the registry's, ids as fallbacks. */
export interface AlertNames {
  community(id: string): LocalizedName | undefined;
  cell(id: string): LocalizedName | undefined;
  building(id: string): LocalizedName | undefined;
  device(id: string): LocalizedName | null | undefined;
}

export function alertNames(grid: GridModel, registry: Pick<DeviceRegistry, 'get'>): AlertNames {
  return {
    community: (id) => grid.community(id)?.name,
    cell: (id) => grid.cell(id)?.name,
    building: (id) => grid.building(id)?.building.name,
    device: (id) => registry.get(id)?.name,
  };
}

/**
 * One CSV field, RFC 4180: quoted when it holds a comma, quote, CR or LF (quotes doubled). Written
 * here rather than with a library: the only CSV writer in node_modules (@fast-csv/format) comes in
 * as exceljs's dependency, not ours, and the rule is these three lines. A leading =, +, - or @ is
 * prefixed with ' so a spreadsheet shows the text instead of running it as a formula.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvLine = (fields: readonly (string | number | null | undefined)[]) => `${fields.map(csvField).join(',')}\r\n`;

/** "2026-03-07 14:05:09" in the hub's local time (the config file's UTC offset). */
export function localTime(at: number, utcOffsetMin: number): string {
  return new Date(at + utcOffsetMin * 60_000).toISOString().slice(0, 19).replace('T', ' ');
}

const iso = (at: number | null) => (at === null ? '' : new Date(at).toISOString());

function offsetText(min: number): string {
  const sign = min < 0 ? '-' : '+';
  const a = Math.abs(min);
  return `UTC${sign}${Math.floor(a / 60)}${a % 60 ? `:${String(a % 60).padStart(2, '0')}` : ''}`;
}

const HEADERS: Record<CsvLang, (tz: string) => string[]> = {
  zh: (tz) => [
    '告警编号', '开始时间(ISO)', `开始时间(${tz})`, '状态', '级别', '告警类型', '设备类型', '社区', '网格', '楼栋', '楼层', '设备', '设备编号', '标题', '次数',
    '确认时间(ISO)', `确认时间(${tz})`, '确认人', '处理人', '处置时间(ISO)', `处置时间(${tz})`, '处置人', '处置说明',
  ],
  en: (tz) => [
    'Alert', 'Opened (ISO)', `Opened (${tz})`, 'State', 'Severity', 'Type', 'Device kind', 'Community', 'Cell', 'Building', 'Floor', 'Device', 'Device id', 'Title', 'Count',
    'Acknowledged (ISO)', `Acknowledged (${tz})`, 'Acknowledged by', 'Assignee', 'Resolved (ISO)', `Resolved (${tz})`, 'Resolved by', 'Resolution note',
  ],
};

const STATE_TEXT: Record<CsvLang, Record<Alert['state'], string>> = {
  zh: { open: '未确认', acknowledged: '已确认', resolved: '已处置' },
  en: { open: 'open', acknowledged: 'acknowledged', resolved: 'resolved' },
};
const SEVERITY_TEXT: Record<CsvLang, Record<Alert['severity'], string>> = {
  zh: { critical: '紧急', major: '重要', minor: '次要', info: '提示' },
  en: { critical: 'critical', major: 'major', minor: 'minor', info: 'info' },
};

/** The byte order mark: without it Excel reads UTF-8 as the local code page and Chinese turns to mojibake. */
export const UTF8_BOM = '\uFEFF';

/**
 * The export as text pieces, the header first then one line per alert, pulled one at a time from
 * `alerts` (a generator reading the table in chunks), so the file is never whole in memory.
 */
export function* alertCsv(alerts: Iterable<Alert>, names: AlertNames, lang: CsvLang, utcOffsetMin: number): Generator<string> {
  const csv = csvWriter(names, lang, utcOffsetMin);
  yield csv.header;
  for (const a of alerts) yield csv.line(a);
}

/** alertCsv over alerts read asynchronously (the shared state on PostgreSQL). */
export async function* alertCsvAsync(alerts: Iterable<Alert> | AsyncIterable<Alert>, names: AlertNames, lang: CsvLang, utcOffsetMin: number): AsyncGenerator<string> {
  const csv = csvWriter(names, lang, utcOffsetMin);
  yield csv.header;
  for await (const a of alerts) yield csv.line(a);
}

function csvWriter(names: AlertNames, lang: CsvLang, utcOffsetMin: number): { header: string; line: (a: Alert) => string } {
  const tz = offsetText(utcOffsetMin);
  const local = (at: number | null) => (at === null ? '' : localTime(at, utcOffsetMin));
  const name = (n: LocalizedName | null | undefined, id: string | null | undefined) => (id ? localName(lang, n) || id : '');
  return {
    header: UTF8_BOM + csvLine(HEADERS[lang](tz)),
    line: (a) => {
      const typeLabel = isAlertType(a.type) ? ALERT_TYPES[a.type].label[lang] : a.type;
      const kindLabel = (kindSpecs[a.kind as DeviceKind]?.label as { zh: string; en: string } | undefined)?.[lang] ?? a.kind;
      const note = [...a.history].reverse().find((h) => h.action === 'resolved')?.note ?? '';
      return csvLine([
        a.id, iso(a.openedAt), local(a.openedAt), STATE_TEXT[lang][a.state] ?? a.state, SEVERITY_TEXT[lang][a.severity] ?? a.severity, typeLabel, kindLabel,
        name(names.community(a.communityId), a.communityId), name(a.gridCellId ? names.cell(a.gridCellId) : null, a.gridCellId),
        name(a.buildingId ? names.building(a.buildingId) : null, a.buildingId), a.floor ?? '', name(names.device(a.deviceId), a.deviceId), a.deviceId, a.title, a.count,
        iso(a.acknowledgedAt), local(a.acknowledgedAt), a.acknowledgedBy, a.assignee, iso(a.resolvedAt), local(a.resolvedAt), a.resolvedBy, note,
      ]);
    },
  };
}
