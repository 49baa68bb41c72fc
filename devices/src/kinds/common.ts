import { Type, type Static, type TSchema, type TObject } from '@sinclair/typebox';
import type { CommonAlertType, Severity } from '../alerts.ts';

/** Epoch milliseconds (fractions allowed) or an ISO-8601 string; normalizeTimestamp checks both against one range. */
export const Timestamp = Type.Union([
  Type.Number(),
  Type.String({ minLength: 10, maxLength: 40 }),
]);
export const Sequence = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
export const Percent = Type.Number({ minimum: 0, maximum: 100 });
export const DoorState = Type.Union([Type.Literal('open'), Type.Literal('closed')]);

export interface Label {
  zh: string;
  en: string;
}

/** Fields every payload may carry. */
export const envelopeProperties = {
  ts: Type.Optional(Timestamp),
  seq: Type.Optional(Sequence),
};

/** One telemetry field: its schema (type and range) and what people and the stores need to know. */
export interface FieldSpec<S extends TSchema = TSchema> {
  schema: S;
  /** Unit as shown to people; undefined for counts, booleans and enumerations. */
  unit?: string;
  label: Label;
  /** How rollups keep it: `mean` per window (booleans as 0/1), or `none` (enumerations stay in raw only). */
  rollup: 'mean' | 'none';
}

export interface KindAlertSpec {
  severity: Severity;
  label: Label;
}

/** A message as a kind's rule sees it: readings typed against the kind's own telemetry schema. */
export type KindMessage<Tel, Evt extends string> =
  | { channel: 'telemetry'; ts: number; readings: Tel }
  | { channel: 'event'; ts: number; type: Evt; readings: Record<string, number | boolean | string>; detail: Record<string, unknown> };

/**
 * What a rule concludes from one message:
 * - `event`: a discrete occurrence; repeats while the alert is open raise its count
 * - `active`: a level condition holds; only the transition into it opens or repeats an alert
 * - `clear`: the condition went away (sets clearedAt; a person still acknowledges and resolves)
 */
export interface KindSignal<A extends string = string> {
  type: A;
  action: 'event' | 'active' | 'clear';
  detail?: Record<string, unknown>;
}

export interface KindRuleInput<Tel, Evt extends string, Th> {
  msg: KindMessage<Tel, Evt>;
  thresholds: Th;
  /** Per-device memory the rule keeps between messages (door open since, recent denials, drill window). */
  state: Record<string, unknown>;
  now: number;
}

type Fields = Record<string, FieldSpec>;
export type TelemetryOf<F extends Fields> = { [K in keyof F]?: Static<F[K]['schema']> };

/** Everything one kind brings, as its file writes it. */
export interface KindDefinition<
  K extends string,
  F extends Fields,
  E extends string,
  A extends string,
  TK extends string,
  Th extends Record<string, number | string>,
> {
  kind: K;
  label: Label;
  fields: F;
  events: Record<E, Label>;
  /** The alert types this kind's rule raises (kind-independent ones live in alerts.ts). */
  alerts: Record<A, KindAlertSpec>;
  /** Key under `communities[].thresholds` in the config file (kept as first written, e.g. `fireStation`). */
  thresholdsKey: TK;
  thresholds: Th;
  /** Schema of a community's overrides of `thresholds`. */
  thresholdOverrides: TObject;
  rule: (input: KindRuleInput<TelemetryOf<F>, NoInfer<E>, NoInfer<Th>>) => KindSignal<NoInfer<A> | CommonAlertType>[];
  /** How often a healthy device reports telemetry; silence past N times this means offline. */
  reportingPeriodS: number;
  /** Severity of the alert raised when this kind of device goes offline. */
  offlineSeverity: 'major' | 'minor';
}

/** What the rest of the system reads about one kind, whichever kind it is. */
export interface KindSpec {
  kind: string;
  label: Label;
  fields: Record<string, FieldSpec>;
  events: Record<string, Label>;
  alerts: Record<string, KindAlertSpec>;
  thresholdsKey: string;
  thresholds: Record<string, number | string>;
  thresholdOverrides: TObject;
  telemetry: TObject;
  event: TObject;
  eventTypes: readonly string[];
  /** Names of the readings the contract defines, in display order. */
  readings: readonly string[];
  /** Readings held as strings (enumerations) rather than numbers or booleans. */
  stringReadings: readonly string[];
  reportingPeriodS: number;
  offlineSeverity: 'major' | 'minor';
  rule: (input: KindRuleInput<Record<string, unknown>, string, Record<string, number | string>>) => KindSignal[];
}

/** Telemetry: every reading optional; unknown extra fields allowed so newer firmware does not break older hubs. */
function telemetrySchema(fields: Fields): TObject {
  const properties = Object.fromEntries(Object.entries(fields).map(([name, f]) => [name, Type.Optional(f.schema)]));
  return Type.Object({ ...envelopeProperties, ...properties }, { additionalProperties: true });
}

function eventSchema(types: readonly string[]): TObject {
  return Type.Object({ ...envelopeProperties, type: Type.Union(types.map((t) => Type.Literal(t))) }, { additionalProperties: true });
}

/** An enumeration of string literals (e.g. DoorState), stored as a string rather than a number. */
function isStringEnum(schema: TSchema): boolean {
  const anyOf = (schema as { anyOf?: { const?: unknown }[] }).anyOf;
  return Array.isArray(anyOf) && anyOf.every((s) => typeof s.const === 'string');
}

/** Derives schemas and field lists from a kind's definition; the definition's own types stay visible. */
export function defineKind<
  const K extends string,
  F extends Fields,
  const E extends string,
  const A extends string,
  const TK extends string,
  Th extends Record<string, number | string>,
>(d: KindDefinition<K, F, E, A, TK, Th>) {
  const eventTypes = Object.keys(d.events) as E[];
  const readings = Object.keys(d.fields);
  return {
    ...d,
    telemetry: telemetrySchema(d.fields),
    event: eventSchema(eventTypes),
    eventTypes,
    readings,
    stringReadings: readings.filter((r) => isStringEnum(d.fields[r]!.schema)),
  };
}

/** Overrides: each threshold optional; numbers at least 0 unless the kind says otherwise. */
export const OptionalNonNegativeNumber = () => Type.Optional(Type.Number({ minimum: 0 }));
