import fs from 'node:fs';
import { parseDocument, YAMLParseError, isNode, type Document } from 'yaml';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ID_PATTERN, KINDS, SEVERITIES } from '#devices';
import { CameraConfigError, parseCameraList, type CameraListFile } from '#devices/onvif/index.ts';
import { ThresholdOverrides } from '../rules/thresholds.ts';
import { asStartupError, StartupError } from '../startup-error.ts';
import { Platforms, resolvePlatforms, type ResolvedPlatforms } from '../ingest/adapters/platforms.ts';
import { ProviderConfigError, ProvidersSection, resolveProviders, type ProvidersConfig } from '../notify/people/provider-config.ts';
import { Gb28181Section, GbConfigError, resolveGbConfig, type GbConfig } from '../gb28181/config.ts';

const Id = Type.String({ pattern: ID_PATTERN });
/** A name in one language, or in both. */
export const LocalizedName = Type.Union([
  Type.String({ maxLength: 200 }),
  Type.Object({ zh: Type.String({ maxLength: 200 }), en: Type.String({ maxLength: 200 }) }),
]);
export type LocalizedName = Static<typeof LocalizedName>;
const Rect = Type.Object({ x: Type.Number(), y: Type.Number(), w: Type.Number({ minimum: 0 }), h: Type.Number({ minimum: 0 }) });

const Webhook = Type.Object({
  format: Type.Union([Type.Literal('wecom'), Type.Literal('dingtalk')]),
  url: Type.String({ pattern: '^https?://' }),
  /** lowest severity sent; default minor */
  minSeverity: Type.Optional(Type.Union(SEVERITIES.map((s) => Type.Literal(s)))),
});
export type WebhookTarget = Static<typeof Webhook>;

const Building = Type.Object({
  id: Id,
  name: Type.Optional(LocalizedName),
  floors: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  households: Type.Optional(Type.Integer({ minimum: 0 })),
  x: Type.Optional(Type.Number()),
  y: Type.Optional(Type.Number()),
  w: Type.Optional(Type.Number({ minimum: 0 })),
  h: Type.Optional(Type.Number({ minimum: 0 })),
});

const Cell = Type.Object({
  id: Id,
  name: Type.Optional(LocalizedName),
  supervisor: Type.Optional(Id),
  workers: Type.Optional(Type.Array(Id)),
  area: Type.Optional(Rect),
  buildings: Type.Optional(Type.Array(Building)),
  webhooks: Type.Optional(Type.Array(Webhook)),
});

const Community = Type.Object({
  id: Id,
  name: Type.Optional(LocalizedName),
  households: Type.Optional(Type.Integer({ minimum: 0 })),
  plan: Type.Optional(Type.Object({ w: Type.Number({ minimum: 1 }), h: Type.Number({ minimum: 1 }) })),
  cells: Type.Optional(Type.Array(Cell)),
  controlRoom: Type.Optional(
    Type.Object({ lead: Type.Optional(Id), staff: Type.Optional(Type.Array(Id)), webhooks: Type.Optional(Type.Array(Webhook)) }),
  ),
  thresholds: Type.Optional(ThresholdOverrides),
});

const Worker = Type.Object({
  id: Id,
  name: Type.String({ minLength: 1, maxLength: 100 }),
  phone: Type.Optional(Type.String({ pattern: '^[0-9+ -]{3,20}$' })),
  role: Type.Union([Type.Literal('worker'), Type.Literal('supervisor'), Type.Literal('lead')]),
  cells: Type.Optional(Type.Array(Id)),
  /** the worker's own ids in the messaging apps grid workers carry: WeCom userid, DingTalk userid */
  accounts: Type.Optional(
    Type.Object(
      {
        wecom: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        dingtalk: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      },
      { additionalProperties: false },
    ),
  ),
});

/** A device's identity and place: the same fields in the config file and in provisioning over HTTP. */
export const deviceProperties = {
  id: Id,
  kind: Type.Union(KINDS.map((k) => Type.Literal(k))),
  communityId: Id,
  gridCellId: Type.Optional(Id),
  buildingId: Type.Optional(Id),
  floor: Type.Optional(Type.Integer({ minimum: -10, maximum: 200 })),
  name: Type.Optional(LocalizedName),
  location: Type.Optional(Type.Object({ x: Type.Number(), y: Type.Number() })),
};

export const ConfiguredDevice = Type.Object({
  ...deviceProperties,
  /** cameras: the devices or buildings this camera covers, for snapshots on incidents */
  covers: Type.Optional(Type.Array(Id)),
});

const Severities = <T extends ReturnType<typeof Type.Integer>>(t: T) =>
  Type.Object({ critical: Type.Optional(t), major: Type.Optional(t), minor: Type.Optional(t), info: Type.Optional(t) });

const Escalation = Type.Object({
  ackDeadlineS: Type.Optional(Severities(Type.Integer({ minimum: 1 }))),
  reminderIntervalS: Type.Optional(Severities(Type.Integer({ minimum: 1 }))),
});

const IncidentRule = Type.Object({
  name: Type.String({ pattern: '^[a-z_]{1,40}$' }),
  /** alert types that join one incident */
  types: Type.Array(Type.String()),
  scope: Type.Union([Type.Literal('building'), Type.Literal('cell'), Type.Literal('community'), Type.Literal('device')]),
  windowS: Type.Integer({ minimum: 1 }),
});

/**
 * One community's cameras for the built-in ONVIF bridge. The shape is checked here; each camera
 * entry by the bridge's own parser (parseCameraList), which also resolves `passwordEnv`.
 */
const OnvifList = Type.Object(
  {
    communityId: Type.Optional(Id),
    pollIntervalS: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    defaults: Type.Optional(Type.Object({}, { additionalProperties: true })),
    cameras: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
    discovery: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: false },
);

/** Case deadlines: "30m" / "4h" working minutes and hours, "2d" working days (clock time for `calendar: natural`). */
const CaseDuration = Type.String({ pattern: '^[0-9]{1,5}(m|h|d)$' });
const CaseCategory = Type.Object({
  name: Type.Optional(LocalizedName),
  /** working (default): deadlines count working hours of China's working days; natural: the clock, day and night */
  calendar: Type.Optional(Type.Union([Type.Literal('working'), Type.Literal('natural')])),
  /** by when each stage must be reached, from the stage before it (`closed`: from the report) */
  deadlines: Type.Optional(
    Type.Object(Object.fromEntries(['accepted', 'registered', 'dispatched', 'disposed', 'verified', 'closed', 'revisited'].map((s) => [s, Type.Optional(CaseDuration)])), { additionalProperties: false }),
  ),
});
const Cases = Type.Object({
  /** local "HH:MM" spans of a working day; default 08:30–12:00, 13:30–17:30 */
  workingHours: Type.Optional(Type.Array(Type.Object({ start: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }), end: Type.String({ pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$' }) }), { minItems: 1 })),
  /** the calendar's UTC offset in minutes; default 480 (China) */
  utcOffsetMin: Type.Optional(Type.Integer({ minimum: -720, maximum: 840 })),
  /** categories by id; they replace the built-in ones of the same id and add to the rest */
  categories: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$' }), CaseCategory)),
  /** alert types that open a case by themselves; default fire_alarm */
  autoFromAlerts: Type.Optional(Type.Array(Type.String())),
  /** the community part of case codes (一案一码), e.g. { hx: HX01 }; default the id in capitals */
  communityCodes: Type.Optional(Type.Record(Type.String(), Type.String({ pattern: '^[A-Z0-9]{1,12}$' }))),
  /** when to remind: this share of a deadline's time gone; default 0.75 */
  remindAtFraction: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
  /** reports a community's public form takes per hour, all senders together; default 60 */
  residentReportsPerHour: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  /** days a finished case's photos are kept (under DATA_DIR, in the state database); default kept for good */
  photoRetentionDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 36_500 })),
});
const PersonChannel = Type.Union(['webpush', 'wecom', 'dingtalk', 'sms', 'voice'].map((c) => Type.Literal(c as 'webpush' | 'wecom' | 'dingtalk' | 'sms' | 'voice')));
const LadderLevel = Type.Object(
  {
    worker: Type.Optional(Type.Array(PersonChannel)),
    supervisor: Type.Optional(Type.Array(PersonChannel)),
    lead: Type.Optional(Type.Array(PersonChannel)),
  },
  { additionalProperties: false },
);

/** Delivery to people (docs/delivery.md): which channels each escalation level uses, and the acknowledgement links. */
const Delivery = Type.Object(
  {
    /** the hub's address as phones reach it, for acknowledgement links; default: the hub's own listening address */
    publicUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    /** how long a one-tap acknowledgement link works; default 24 h */
    ackLinkTtlS: Type.Optional(Type.Integer({ minimum: 60, maximum: 30 * 86400 })),
    /** VAPID subject (RFC 8292): a mailto: or https: contact for push services */
    vapidSubject: Type.Optional(Type.String({ pattern: '^(mailto:|https://)' })),
    /** channels per role, by escalation level (index = level; levels past the end use the last) */
    ladder: Type.Optional(Type.Array(LadderLevel, { minItems: 1 })),
    /** critical alerts still unacknowledged at these levels also go by SMS / voice call */
    critical: Type.Optional(
      Type.Object(
        { smsAtLevel: Type.Optional(Type.Integer({ minimum: 0 })), voiceAtLevel: Type.Optional(Type.Integer({ minimum: 0 })) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const HubConfigFile = Type.Object(
  {
    onvif: Type.Optional(Type.Union([OnvifList, Type.Array(OnvifList)])),
    communities: Type.Optional(Type.Array(Community)),
    workers: Type.Optional(Type.Array(Worker)),
    devices: Type.Optional(Type.Array(ConfiguredDevice)),
    escalation: Type.Optional(Escalation),
    incidents: Type.Optional(Type.Array(IncidentRule)),
    cases: Type.Optional(Cases),
    /** carrier IoT platforms' HTTP push (CTWing, OneNET): products and field mappings, docs/platforms.md */
    platforms: Type.Optional(Platforms),
    /** messaging providers for delivery to people: WeCom, DingTalk, SMS, voice */
    providers: Type.Optional(ProvidersSection),
    delivery: Type.Optional(Delivery),
    /** GB/T 28181 cameras and NVRs (docs/gb28181.md) */
    gb28181: Type.Optional(Gb28181Section),
  },
  { additionalProperties: true },
);
export type HubConfigFile = Static<typeof HubConfigFile>;
/** A community's camera list, parsed and checked: what the camera service is handed. */
export interface CameraList extends CameraListFile {
  communityId: string;
  pollIntervalMs?: number;
}
/** The config file as the hub uses it: checked once, with the `onvif:` camera lists parsed. */
export type LoadedConfigFile = HubConfigFile & {
  readonly cameraLists: readonly CameraList[];
  /** `platforms:` with its secrets resolved from the environment. */
  readonly providerConfig?: ProvidersConfig;
  readonly gb?: GbConfig;
  readonly platformProducts?: Readonly<ResolvedPlatforms>;
};
type Env = Record<string, string | undefined>;
export type CommunityConfig = Static<typeof Community>;
export type CellConfig = Static<typeof Cell>;
export type BuildingConfig = Static<typeof Building>;
export type WorkerConfig = Static<typeof Worker>;
export type EscalationConfig = Static<typeof Escalation>;
export type IncidentRuleConfig = Static<typeof IncidentRule>;
export type CasesConfig = Static<typeof Cases>;
export type CaseCategoryConfig = Static<typeof CaseCategory>;
export type DeliveryConfig = Static<typeof Delivery>;

/**
 * Reads the hub's config file (YAML or JSON). Every failure is a StartupError naming the file,
 * the line (and column) when there is one, and the cause.
 */
export function loadHubConfigFile(file: string, env: Env = {}): LoadedConfigFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw asStartupError(err, file);
  }
  let raw: unknown;
  if (file.endsWith('.json')) {
    // JSON is YAML too, but JSON.parse reads a 200,000-device file in a fraction of the time.
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw jsonError(file, text, err as Error);
    }
  } else {
    const doc = parseDocument(text);
    const first = doc.errors[0];
    if (first) throw yamlError(file, first);
    raw = doc.toJS();
  }
  raw ??= {};
  if (!Value.Check(HubConfigFile, raw)) {
    const err = Value.Errors(HubConfigFile, raw).First();
    const at = err?.path || '/';
    const line = lineOfPath(text, at);
    throw new StartupError(file, `${at} ${err?.message ?? 'invalid'}`, line?.line, line?.column);
  }
  try {
    const lists = cameraLists(raw, env);
    let platformProducts: ResolvedPlatforms;
    try {
      platformProducts = resolvePlatforms(raw.platforms, env);
    } catch (err) {
      throw new StartupError(file, (err as Error).message);
    }
    return { ...raw, cameraLists: lists, platformProducts, providerConfig: resolveProviders(raw.providers, env), ...(raw.gb28181 ? { gb: resolveGbConfig(raw.gb28181, env) } : {}) };
  } catch (err) {
    if (err instanceof CameraConfigError) throw new StartupError(file, err.message.replace(/\s*\n\s*/g, ' '));
    if (err instanceof ProviderConfigError) throw new StartupError(file, err.message);
    if (err instanceof GbConfigError) throw new StartupError(file, err.message);
    throw err;
  }
}

/** The `onvif:` section's lists, parsed; `env` resolves the cameras' `passwordEnv` (handed down from config.ts). */
export function cameraLists(file: Pick<HubConfigFile, 'onvif'>, env: Env): CameraList[] {
  if (file.onvif === undefined) return [];
  const raw = Array.isArray(file.onvif) ? file.onvif : [file.onvif];
  return raw.map((entry, i) => {
    const list = parseCameraList(entry, env as NodeJS.ProcessEnv, `onvif[${i}]`);
    const communityId = list.communityId ?? entry.communityId;
    if (!communityId) throw new CameraConfigError(`onvif[${i}]: communityId is required`);
    return { ...list, communityId, ...(entry.pollIntervalS ? { pollIntervalMs: entry.pollIntervalS * 1000 } : {}) };
  });
}

function jsonError(file: string, text: string, err: Error): StartupError {
  // Node 20: "... in JSON at position 37"; later versions add "(line 3 column 17)".
  const m = /at position (\d+)/.exec(err.message);
  const reason = err.message.replace(/\s*in JSON at position \d+.*$/s, '').replace(/\s*\(line \d+ column \d+\)/, '');
  if (!m) return new StartupError(file, `not valid JSON: ${reason}`);
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  return new StartupError(file, `not valid JSON: ${reason}`, line, before.length - before.lastIndexOf('\n'));
}

function yamlError(file: string, err: YAMLParseError | Error): StartupError {
  const pos = err instanceof YAMLParseError ? err.linePos?.[0] : undefined;
  const reason = err.message.split('\n')[0]!.replace(/\s*at line \d+, column \d+:?$/, '');
  return new StartupError(file, `not valid YAML: ${reason}`, pos?.line, pos?.col);
}

/** Where a schema error's path (/communities/0/id) sits in the text; JSON is YAML, so one parser serves both. */
function lineOfPath(text: string, pointer: string): { line: number; column: number } | undefined {
  try {
    const doc: Document = parseDocument(text, { keepSourceTokens: false });
    const segs = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    for (let n = segs.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(segs.slice(0, n).map((s) => (/^\d+$/.test(s) ? Number(s) : s)), true);
      if (isNode(node) && node.range) {
        const before = text.slice(0, node.range[0]);
        return { line: before.split('\n').length, column: before.length - before.lastIndexOf('\n') };
      }
    }
  } catch {
    // The location is a courtesy; the path alone still names the problem.
  }
  return undefined;
}

export function parseHubConfig(raw: unknown, source = 'config'): HubConfigFile {
  if (!Value.Check(HubConfigFile, raw)) {
    const err = Value.Errors(HubConfigFile, raw).First();
    throw new Error(`${source}: ${err?.path || '/'} ${err?.message ?? 'invalid'}`);
  }
  return raw;
}
