import type { DeviceKind, Readings } from '#devices';
import type { WriteOutcome } from './acceptance.ts';
import type { LatestReadingsReply, WireDeviceEvent } from '#devices/wire.ts';

/** One stored message: a telemetry point or an event. The unit both stores and the journal hold. */
export interface StoredPoint {
  /** 't' telemetry, 'e' event */
  m: 't' | 'e';
  /** device id */
  d: string;
  k: DeviceKind;
  /** community id */
  c: string;
  /** grid cell id, when known */
  g: string | null;
  /** device time, epoch ms */
  ts: number;
  /** the device's own counter, when it sent one */
  seq?: number;
  /**
   * Hub-assigned receive number, only when the device sent no seq: with (d, ts) it makes the
   * point's identity, so messages without seq never overwrite each other, and a replay of the
   * spooled line lands on the same point. Never shown as the device's seq.
   */
  u?: number;
  /** receive time at the hub, epoch ms (for publish-to-stored latency) */
  rx: number;
  r: Readings;
  /** event type */
  ty?: string;
  /** event detail (non-numeric extras) */
  x?: Record<string, unknown>;
}

export interface TelemetryQuery {
  deviceId: string;
  kind: DeviceKind;
  field?: string;
  from: number;
  to: number;
  /** aggregation window in ms; mean per window when set */
  everyMs?: number;
  limit: number;
}

export interface TelemetryRow {
  ts: number;
  seq?: number;
  readings: Readings;
}
export interface AggregateRow {
  ts: number;
  value: number | null;
}

/** Per reading name, the last value a device reported and when (device time, epoch ms). */
export type LatestReadings = LatestReadingsReply['readings'];
export type LatestReading = LatestReadings[string];

export interface EventQuery {
  deviceId?: string;
  communityId?: string;
  type?: string;
  from: number;
  to: number;
  limit: number;
}
/** One stored event, as GET /api/devices/{id}/events sends it. */
export type EventRow = WireDeviceEvent;

/**
 * A time-series store. Writes must be idempotent: the same device, ts and seq (or u) give the same
 * point, because the journal may replay a batch after a crash. A write that throws stored nothing
 * for sure (retried); one that resolves stored every point except those it names as refused.
 */
export interface TelemetryStore {
  readonly name: string;
  /** Where the data lives, for the startup log. */
  readonly location: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  write(points: StoredPoint[]): Promise<WriteOutcome | void>;
  /** Raw readings of one field (or all) in [from, to], oldest first. */
  queryRaw(q: TelemetryQuery): Promise<TelemetryRow[]>;
  /** Mean of one numeric field per window. */
  queryAggregate(q: TelemetryQuery & { field: string; everyMs: number }): Promise<AggregateRow[]>;
  queryEvents(q: EventQuery): Promise<EventRow[]>;
  /** The last value of every reading the device has reported (raw telemetry; the newest ts wins per reading). */
  latest(kind: DeviceKind, deviceId: string): Promise<LatestReadings>;
  /** Cheap reachability check for /healthz. */
  ping(): Promise<boolean>;
  /** Rolls raw telemetry up and drops what is past retention; the writer thread calls it every minute. */
  maintain?(now: number): Promise<void>;
}

/** How long each resolution is kept, in days. */
export interface Retention {
  rawDays: number;
  rollup1mDays: number;
  rollup1hDays: number;
}

export const DEFAULT_RETENTION: Retention = { rawDays: 30, rollup1mDays: 180, rollup1hDays: 1825 };

/** Which resolution serves an aggregation window: rollups for wide windows, raw otherwise. */
export function rollupFor(everyMs: number): '1h' | '1m' | null {
  if (everyMs >= 3_600_000 && everyMs % 3_600_000 === 0) return '1h';
  if (everyMs >= 60_000 && everyMs % 60_000 === 0) return '1m';
  return null;
}

/** Field names reach query text; only these shapes are allowed. */
export const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
