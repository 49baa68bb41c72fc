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

/** Turns a payload `ts` into epoch ms; `undefined` when it is not a usable time. */
export function normalizeTimestamp(ts: unknown, receivedAt: number): number | undefined {
  if (ts === undefined) return receivedAt;
  if (typeof ts === 'number') return Number.isFinite(ts) ? ts : undefined;
  if (typeof ts === 'string') {
    // Date.parse accepts too much (e.g. "1"); require an ISO-8601 date-time shape.
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(ts)) return undefined;
    const ms = Date.parse(ts);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

const ENVELOPE = new Set(['ts', 'seq', 'type']);

function collectReadings(body: Record<string, unknown>, stringReadings: readonly string[]): Readings {
  const readings: Readings = {};
  for (const key in body) {
    if (ENVELOPE.has(key)) continue;
    const value = body[key];
    if (typeof value === 'number') {
      if (Number.isFinite(value)) readings[key] = value;
    } else if (typeof value === 'boolean') readings[key] = value;
    else if (typeof value === 'string' && stringReadings.includes(key)) readings[key] = value;
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
 */
export function decodePayload(kind: DeviceKind, channel: Channel, payload: Uint8Array, receivedAt: number): DecodeResult {
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
  if (ts === undefined) return { ok: false, reason: 'bad_timestamp', message: '/ts: not epoch ms or ISO-8601' };
  const seq = obj.seq as number | undefined;
  const readings = collectReadings(obj, kindSpecs[kind].stringReadings);
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
