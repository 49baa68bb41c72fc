import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TObject } from '@sinclair/typebox';
import { KINDS, kindSpecs, type DeviceKind } from './kinds/index.ts';
import type { Channel } from './topics.ts';

/** The contract's payload size limit. */
export const MAX_PAYLOAD_BYTES = 16 * 1024;

export type RejectReason =
  | 'oversized'
  | 'not_json'
  | 'not_object'
  | 'invalid_payload'
  | 'bad_timestamp'
  | 'beyond_retention'
  | 'bad_status';

export type Readings = Record<string, number | boolean | string>;

export interface DecodedTelemetry {
  channel: 'telemetry';
  ts: number;
  seq: number | undefined;
  readings: Readings;
}
export interface DecodedEvent {
  channel: 'event';
  ts: number;
  seq: number | undefined;
  type: string;
  /** Numeric and boolean extras of the event, kept like telemetry readings. */
  readings: Readings;
  /** The event's other fields (e.g. direction, snapshot_url), for display. */
  detail: Record<string, unknown>;
}
export interface DecodedStatus {
  channel: 'status';
  ts: number;
  online: boolean;
}
export type Decoded = DecodedTelemetry | DecodedEvent | DecodedStatus;
export type DecodeResult = { ok: true; value: Decoded } | { ok: false; reason: RejectReason; message: string };

const compiled = new Map<string, TypeCheck<TObject>>();
for (const kind of KINDS) {
  compiled.set(`${kind}/telemetry`, TypeCompiler.Compile(kindSpecs[kind].telemetry));
  compiled.set(`${kind}/event`, TypeCompiler.Compile(kindSpecs[kind].event));
}

export function validatorFor(kind: DeviceKind, channel: 'telemetry' | 'event'): TypeCheck<TObject> {
  return compiled.get(`${kind}/${channel}`)!;
}

/**
 * The one range a `ts` may take, whatever its form (epoch ms or ISO-8601):
 * 1970-01-01T00:00:00Z to 2100-01-01T00:00:00Z inclusive (docs/api.md).
 */
export const TS_MIN_MS = 0;
export const TS_MAX_MS = 4_102_444_800_000;

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}/;

/** Turns a payload `ts` into epoch ms; `undefined` when it is not a usable time. */
export function normalizeTimestamp(ts: unknown, receivedAt: number): number | undefined {
  if (ts === undefined) return receivedAt;
  let ms: number;
  if (typeof ts === 'number') ms = ts;
  else if (typeof ts === 'string') {
    // Date.parse accepts too much (e.g. "1"); require an ISO-8601 date-time shape.
    const m = ISO_DATE_TIME.exec(ts);
    if (!m) return undefined;
    // Date.parse rolls a day past the month's end (02-30 becomes 03-02) instead of refusing it.
    const day = Number(m[3]);
    if (day < 1 || day > daysInMonth(Number(m[1]), Number(m[2]))) return undefined;
    ms = Date.parse(ts);
  } else return undefined;
  // NaN fails both comparisons.
  return ms >= TS_MIN_MS && ms <= TS_MAX_MS ? ms : undefined;
}

const MONTH_DAYS = [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month < 1 || month > 12) return 0;
  return month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : MONTH_DAYS[month - 1]!;
}

/** How far from its receive time a point's `ts` may lie (the store's retention and a clock-skew allowance). */
export interface TimeWindow {
  maxAgeMs: number;
  maxAheadMs: number;
}

/** Why `ts` falls outside the window around `now`, or undefined when it is inside. */
export function outsideWindow(ts: number, now: number, window: TimeWindow): string | undefined {
  if (ts < now - window.maxAgeMs) return `ts ${isoOf(ts)} is older than the store keeps (${Math.round(window.maxAgeMs / 3_600_000)} h)`;
  if (ts > now + window.maxAheadMs) return `ts ${isoOf(ts)} is more than ${Math.round(window.maxAheadMs / 3_600_000)} h ahead of the hub's clock`;
  return undefined;
}

// Spool lines from older hubs may hold a ts that Date cannot show.
const isoOf = (ts: number) => (Math.abs(ts) <= 8.64e15 ? new Date(ts).toISOString() : String(ts));

const ENVELOPE = new Set(['ts', 'seq', 'type']);

/** Unknown extras kept per message: beyond this one device could grow every kind's field set without bound. */
export const MAX_EXTRA_READINGS = 32;
/** Names an unknown extra must have to be kept as a reading (stores and query text take them as they are). */
export const EXTRA_READING_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const knownReadings = new Map<DeviceKind, ReadonlySet<string>>(KINDS.map((k) => [k, new Set(kindSpecs[k].readings)]));

/** Whether `name` is a reading the contract defines for `kind` (stored under its own name and schema type). */
export function isKnownReading(kind: DeviceKind, name: string): boolean {
  return knownReadings.get(kind)!.has(name);
}

function collectReadings(body: Record<string, unknown>, kind: DeviceKind, channel: 'telemetry' | 'event'): Readings {
  const readings: Readings = {};
  const known = channel === 'telemetry' ? knownReadings.get(kind)! : undefined;
  const stringReadings = kindSpecs[kind].stringReadings;
  let extras = 0;
  for (const key in body) {
    if (ENVELOPE.has(key)) continue;
    const value = body[key];
    if (known?.has(key)) {
      // The schema has checked its type and range.
      if (typeof value === 'number' || typeof value === 'boolean' || (typeof value === 'string' && stringReadings.includes(key))) readings[key] = value;
      continue;
    }
    if (typeof value === 'number' ? !Number.isFinite(value) : typeof value !== 'boolean') continue;
    if (extras >= MAX_EXTRA_READINGS || !EXTRA_READING_NAME.test(key)) continue;
    extras++;
    readings[key] = value as number | boolean;
  }
  return readings;
}

function firstError(check: TypeCheck<TObject>, body: unknown): string {
  const err = check.Errors(body).First();
  return err ? `${err.path || '/'}: ${err.message}` : 'does not match the schema';
}

/**
 * Checks one payload against its kind's schema and normalises it.
 * Pure and synchronous: the hub, the simulators and the tests all decide validity the same way.
 * With `window`, a `ts` the store would not keep is refused here, before the acknowledgement.
 */
export function decodePayload(kind: DeviceKind, channel: Channel, payload: Uint8Array, receivedAt: number, window?: TimeWindow): DecodeResult {
  if (payload.length > MAX_PAYLOAD_BYTES) {
    return { ok: false, reason: 'oversized', message: `payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}` };
  }
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  if (channel === 'status') return decodeStatus(text, receivedAt);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not_json', message: 'payload is not valid JSON' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, reason: 'not_object', message: 'payload must be a JSON object' };
  }
  const check = validatorFor(kind, channel);
  if (!check.Check(body)) {
    return { ok: false, reason: 'invalid_payload', message: firstError(check, body) };
  }
  const obj = body as Record<string, unknown>;
  const ts = normalizeTimestamp(obj.ts, receivedAt);
  if (ts === undefined) return { ok: false, reason: 'bad_timestamp', message: '/ts: not epoch ms or ISO-8601 between 1970-01-01 and 2100-01-01' };
  if (window) {
    const outside = outsideWindow(ts, receivedAt, window);
    if (outside) return { ok: false, reason: 'beyond_retention', message: `/ts: ${outside}` };
  }
  const seq = obj.seq as number | undefined;
  const readings = collectReadings(obj, kind, channel);
  if (channel === 'telemetry') return { ok: true, value: { channel, ts, seq, readings } };
  const detail: Record<string, unknown> = {};
  for (const key in obj) if (!ENVELOPE.has(key) && !(key in readings)) detail[key] = obj[key];
  return { ok: true, value: { channel, ts, seq, type: obj.type as string, readings, detail } };
}

function decodeStatus(text: string, receivedAt: number): DecodeResult {
  let state = text.trim();
  if (state.startsWith('{') || state.startsWith('"')) {
    try {
      const parsed: unknown = JSON.parse(state);
      if (typeof parsed === 'string') state = parsed;
      else if (parsed && typeof parsed === 'object' && typeof (parsed as { state?: unknown }).state === 'string') {
        state = (parsed as { state: string }).state;
      }
    } catch {
      return { ok: false, reason: 'bad_status', message: 'status must be "online" or "offline"' };
    }
  }
  if (state !== 'online' && state !== 'offline') {
    return { ok: false, reason: 'bad_status', message: 'status must be "online" or "offline"' };
  }
  return { ok: true, value: { channel: 'status', ts: receivedAt, online: state === 'online' } };
}
