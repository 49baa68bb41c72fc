import { Type, type Static } from '@sinclair/typebox';

/**
 * Per product, how a carrier platform's fields become a kind's fields: the same mapping for
 * CTWing and OneNET (config file `platforms:`, docs/platforms.md). The result is the payload an
 * MQTT device of that kind would have sent; the pipeline checks it like any other.
 */

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);

/** One kind field taken from one platform field: as is, scaled, or looked up. */
const FieldRule = Type.Union([
  Type.String({ minLength: 1, maxLength: 100 }),
  Type.Object(
    {
      from: Type.String({ minLength: 1, maxLength: 100 }),
      /** value × scale + offset (e.g. 0.1 for a reading sent in tenths) */
      scale: Type.Optional(Type.Number()),
      offset: Type.Optional(Type.Number()),
      /** platform value (as text) → kind value, e.g. { "0": "closed", "1": "open" } */
      values: Type.Optional(Type.Record(Type.String(), Scalar)),
    },
    { additionalProperties: false },
  ),
]);

/** An event raised when every listed platform field has the listed value (compared as text). */
const EventRule = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 64 }),
    when: Type.Record(Type.String(), Scalar, { minProperties: 1 }),
  },
  { additionalProperties: false },
);

const BINARY_TYPES = ['uint8', 'int8', 'uint16be', 'int16be', 'uint16le', 'int16le', 'uint32be', 'int32be', 'uint32le', 'int32le', 'float32be', 'float32le'] as const;
type BinaryType = (typeof BINARY_TYPES)[number];
const BINARY_SIZE: Record<BinaryType, number> = {
  uint8: 1, int8: 1, uint16be: 2, int16be: 2, uint16le: 2, int16le: 2,
  uint32be: 4, int32be: 4, uint32le: 4, int32le: 4, float32be: 4, float32le: 4,
};

/** How a base64 `APPdata` (CTWing transparent products) decodes into platform fields. */
const AppData = Type.Union([
  Type.Object({ format: Type.Literal('json') }, { additionalProperties: false }),
  Type.Object(
    {
      format: Type.Literal('binary'),
      fields: Type.Array(
        Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            offset: Type.Integer({ minimum: 0, maximum: 1023 }),
            type: Type.Union(BINARY_TYPES.map((t) => Type.Literal(t))),
          },
          { additionalProperties: false },
        ),
        { minItems: 1 },
      ),
    },
    { additionalProperties: false },
  ),
]);

export const PlatformMapping = Type.Object(
  {
    /** kind field ← platform field */
    telemetry: Type.Optional(Type.Record(Type.String(), FieldRule)),
    events: Type.Optional(Type.Array(EventRule)),
    /** platform fields (OneNET data streams) known and deliberately not used: acknowledged, not stored */
    ignore: Type.Optional(Type.Array(Type.String())),
    appData: Type.Optional(AppData),
  },
  { additionalProperties: false },
);
export type PlatformMapping = Static<typeof PlatformMapping>;
export type AppDataSpec = Static<typeof AppData>;

/** Platform fields of one report, flattened: `serviceData`, decoded `APPdata`, a data stream's value. */
export type PlatformRecord = Record<string, unknown>;

export interface MappedMessages {
  /** The telemetry payload, when any mapped field was present. */
  telemetry?: Record<string, unknown>;
  events: Record<string, unknown>[];
}

export type MapResult = { ok: true; value: MappedMessages } | { ok: false; message: string };

/**
 * The kind payloads one platform record stands for. `envelope` (ts, seq) goes into each. Nothing
 * mapped (no field, no event) is an error: the push is refused, not silently dropped.
 */
export function mapRecord(mapping: PlatformMapping, record: PlatformRecord, envelope: Record<string, unknown>): MapResult {
  const telemetry: Record<string, unknown> = {};
  let fields = 0;
  for (const [field, rule] of Object.entries(mapping.telemetry ?? {})) {
    const from = typeof rule === 'string' ? rule : rule.from;
    if (!(from in record)) continue;
    const raw = record[from];
    if (raw === null || raw === undefined) continue;
    const value = typeof rule === 'string' ? raw : convert(rule, raw);
    if (value === undefined) return { ok: false, message: `${from}: value ${JSON.stringify(raw).slice(0, 40)} has no mapping for ${field}` };
    telemetry[field] = value;
    fields++;
  }
  const events: Record<string, unknown>[] = [];
  for (const rule of mapping.events ?? []) {
    if (Object.entries(rule.when).every(([k, v]) => k in record && String(record[k]) === String(v))) events.push({ ...envelope, type: rule.type });
  }
  if (fields === 0 && events.length === 0) {
    return { ok: false, message: `none of the fields ${Object.keys(record).slice(0, 10).join(', ') || '(none)'} is mapped for this product` };
  }
  return { ok: true, value: { ...(fields > 0 ? { telemetry: { ...envelope, ...telemetry } } : {}), events } };
}

function convert(rule: Exclude<Static<typeof FieldRule>, string>, raw: unknown): unknown {
  if (rule.values) return Object.hasOwn(rule.values, String(raw)) ? rule.values[String(raw)] : undefined;
  if (rule.scale === undefined && rule.offset === undefined) return raw;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(n)) return undefined;
  // Rounded so 253 × 0.1 is 25.3, not 25.299999999999997.
  return Math.round((n * (rule.scale ?? 1) + (rule.offset ?? 0)) * 1e9) / 1e9;
}

/** Decodes a base64 APPdata by the product's spec; a message when it cannot. */
export function decodeAppData(spec: AppDataSpec, base64: string): PlatformRecord | string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) return 'APPdata is not base64';
  const bytes = Buffer.from(base64, 'base64');
  if (spec.format === 'json') {
    try {
      const value: unknown = JSON.parse(bytes.toString('utf8'));
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as PlatformRecord) : 'APPdata JSON is not an object';
    } catch {
      return 'APPdata is not JSON';
    }
  }
  const out: PlatformRecord = {};
  for (const f of spec.fields) {
    if (f.offset + BINARY_SIZE[f.type] > bytes.length) return `APPdata has ${bytes.length} bytes; ${f.name} needs ${f.offset + BINARY_SIZE[f.type]}`;
    out[f.name] = readBinary(bytes, f.offset, f.type);
  }
  return out;
}

function readBinary(b: Buffer, at: number, type: BinaryType): number {
  switch (type) {
    case 'uint8': return b.readUInt8(at);
    case 'int8': return b.readInt8(at);
    case 'uint16be': return b.readUInt16BE(at);
    case 'int16be': return b.readInt16BE(at);
    case 'uint16le': return b.readUInt16LE(at);
    case 'int16le': return b.readInt16LE(at);
    case 'uint32be': return b.readUInt32BE(at);
    case 'int32be': return b.readInt32BE(at);
    case 'uint32le': return b.readUInt32LE(at);
    case 'int32le': return b.readInt32LE(at);
    case 'float32be': return b.readFloatBE(at);
    case 'float32le': return b.readFloatLE(at);
  }
}
