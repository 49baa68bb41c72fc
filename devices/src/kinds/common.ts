import { Type, type TSchema, type TObject, type TProperties } from '@sinclair/typebox';

/** Epoch milliseconds (fractions allowed) or an ISO-8601 string; normalizeTimestamp checks both against one range. */
export const Timestamp = Type.Union([
  Type.Number(),
  Type.String({ minLength: 10, maxLength: 40 }),
]);
export const Sequence = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
export const Percent = Type.Number({ minimum: 0, maximum: 100 });
export const DoorState = Type.Union([Type.Literal('open'), Type.Literal('closed')]);

/** Fields every payload may carry. */
export const envelopeProperties = {
  ts: Type.Optional(Timestamp),
  seq: Type.Optional(Sequence),
};

/** Telemetry: every reading optional; unknown extra fields allowed so newer firmware does not break older hubs. */
export function telemetrySchema<P extends TProperties>(readings: P) {
  const optional = Type.Partial(Type.Object(readings)).properties;
  return Type.Object({ ...envelopeProperties, ...optional }, { additionalProperties: true });
}

export function eventSchema<const T extends readonly string[]>(types: T) {
  return Type.Object(
    {
      ...envelopeProperties,
      type: Type.Union(types.map((t) => Type.Literal(t))) as unknown as TSchema & { static: T[number] },
    },
    { additionalProperties: true },
  );
}

/** What the rest of the system needs to know about one kind, besides its schemas. */
export interface KindSpec<TTel extends TObject = TObject, TEvt extends TObject = TObject> {
  kind: string;
  label: { zh: string; en: string };
  telemetry: TTel;
  event: TEvt;
  eventTypes: readonly string[];
  /** Names of the readings the contract defines, in display order. */
  readings: readonly string[];
  /** Readings held as strings (enumerations) rather than numbers or booleans. */
  stringReadings: readonly string[];
  /** How often a healthy device reports telemetry; silence past 3x this means offline. */
  reportingPeriodS: number;
  /** Severity of the alert raised when this kind of device goes offline. */
  offlineSeverity: 'major' | 'minor';
}
