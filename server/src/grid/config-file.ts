import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ID_PATTERN, KINDS, SEVERITIES } from '#devices';
import { ThresholdOverrides } from '../rules/thresholds.ts';

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

const HubConfigFile = Type.Object(
  {
    communities: Type.Optional(Type.Array(Community)),
    workers: Type.Optional(Type.Array(Worker)),
    devices: Type.Optional(Type.Array(ConfiguredDevice)),
    escalation: Type.Optional(Escalation),
    incidents: Type.Optional(Type.Array(IncidentRule)),
  },
  { additionalProperties: true },
);
export type HubConfigFile = Static<typeof HubConfigFile>;
export type CommunityConfig = Static<typeof Community>;
export type CellConfig = Static<typeof Cell>;
export type BuildingConfig = Static<typeof Building>;
export type WorkerConfig = Static<typeof Worker>;
export type EscalationConfig = Static<typeof Escalation>;
export type IncidentRuleConfig = Static<typeof IncidentRule>;

/** Reads the hub's config file (YAML or JSON). Errors name the file and the offending path. */
export function loadHubConfigFile(file: string): HubConfigFile {
  const text = fs.readFileSync(file, 'utf8');
  // JSON is YAML too, but JSON.parse reads a 200,000-device file in a fraction of the time.
  const raw: unknown = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  return parseHubConfig(raw ?? {}, file);
}

export function parseHubConfig(raw: unknown, source = 'config'): HubConfigFile {
  if (!Value.Check(HubConfigFile, raw)) {
    const err = Value.Errors(HubConfigFile, raw).First();
    throw new Error(`${source}: ${err?.path || '/'} ${err?.message ?? 'invalid'}`);
  }
  return raw;
}
