import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ID_PATTERN, KINDS } from '#devices';

const PLACES = ['household', 'lobby', 'corridor', 'basement', 'service_centre', 'entrance', 'vehicle_entrance', 'building_door', 'garage', 'lift', 'perimeter', 'fire_station', 'charging_shed'] as const;
const Alias = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
const Fields = Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }), Type.Union([Type.Number(), Type.Boolean(), Type.String({ maxLength: 200 })]));

/** Which device a step acts on; ties are broken by the scenario's seeded pick, never by chance. */
export const Selector = Type.Object(
  {
    kind: Type.Union(KINDS.map((k) => Type.Literal(k))),
    /** community id; default: the scenario's community */
    community: Type.Optional(Type.String({ pattern: ID_PATTERN })),
    /** cell id (c1-g3) or number (3) */
    cell: Type.Optional(Type.Union([Type.String(), Type.Integer({ minimum: 1 })])),
    /** building id (c1-b03), short id (b03) or number (3) */
    building: Type.Optional(Type.Union([Type.String(), Type.Integer({ minimum: 1 })])),
    floor: Type.Optional(Type.Integer()),
    place: Type.Optional(Type.Union(PLACES.map((p) => Type.Literal(p)))),
    /** cameras: one that covers this device (id or alias) or building */
    covers: Type.Optional(Type.String()),
    /** first: the lowest id; random (default): a seeded pick */
    pick: Type.Optional(Type.Union([Type.Literal('first'), Type.Literal('random')])),
  },
  { additionalProperties: false },
);
export type Selector = Static<typeof Selector>;

const Expectation = Type.Union([
  Type.String(),
  Type.Object(
    {
      type: Type.String(),
      /** default: the step's target */
      device: Type.Optional(Type.String()),
      /** true when the device condition has gone away by the end of the scenario (alert clearedAt set) */
      cleared: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
]);

const Name = Type.Union([Type.String(), Type.Object({ zh: Type.String(), en: Type.String() })]);

/**
 * One moment of the script. A step's parts run in this order: online, set, unset, telemetry,
 * event, offline — so "set then event" and "clear readings then alarm_cleared" need one step.
 */
export const Step = Type.Object(
  {
    /** scenario seconds from the start */
    at: Type.Number({ minimum: 0 }),
    title: Type.Optional(Name),
    /** name the resolved device so later steps can target it */
    as: Type.Optional(Alias),
    /** a device id, an alias from an earlier step, or a selector */
    target: Type.Union([Type.String(), Selector]),
    online: Type.Optional(Type.Boolean()),
    set: Type.Optional(Fields),
    unset: Type.Optional(Type.Union([Type.Boolean(), Type.Array(Type.String())])),
    telemetry: Type.Optional(Fields),
    event: Type.Optional(Type.Object({ type: Type.String() }, { additionalProperties: true })),
    offline: Type.Optional(Type.Boolean()),
    /** the alerts this step implies (the ground truth) */
    expect: Type.Optional(Type.Array(Expectation)),
  },
  { additionalProperties: false },
);
export type Step = Static<typeof Step>;

export const ScenarioFile = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    /** scenario start: "HH:MM" Asia/Shanghai today, or an ISO-8601 time; sets the time of day */
    clock: Type.Optional(Type.String()),
    /** the community selectors look in; default the first */
    community: Type.Optional(Type.String({ pattern: ID_PATTERN })),
    steps: Type.Array(Step),
  },
  { additionalProperties: false },
);
export type ScenarioFile = Static<typeof ScenarioFile>;

export function parseScenario(raw: unknown, source = 'scenario'): ScenarioFile {
  if (!Value.Check(ScenarioFile, raw)) {
    const err = Value.Errors(ScenarioFile, raw).First();
    throw new Error(`${source}: ${err?.path || '/'} ${err?.message ?? 'invalid'}`);
  }
  return raw;
}

export function loadScenario(file: string): ScenarioFile {
  return parseScenario(parseYaml(fs.readFileSync(file, 'utf8')), file);
}
