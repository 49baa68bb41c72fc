import { isKnownReading, outsideWindow, type DeviceKind, type TimeWindow } from '#devices';
import type { Retention, StoredPoint } from './types.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Why a store did not keep a point it was given. `beyond_retention` and `type_conflict` are what
 * InfluxDB names in a partial write; `store_refused` is anything else it refuses per point;
 * `corrupt_spool` is a spool line that is no point at all (the writer never hands it to a store).
 */
export type StoreRefusalReason = 'beyond_retention' | 'type_conflict' | 'store_refused' | 'corrupt_spool';

export interface Refusal {
  /** Index of the point in the batch given to write(). */
  index: number;
  reason: StoreRefusalReason;
  message: string;
}

/** What a write did not store; everything else in the batch is stored. */
export interface WriteOutcome {
  refused: Refusal[];
}

/** Spool latency a point may still have after ingest without reaching the retention edge. */
export const RETENTION_MARGIN_MS = HOUR;
/** Device clock error tolerated ahead of the hub's clock (a device set to local time instead of UTC stays inside). */
export const MAX_AHEAD_MS = DAY;

/**
 * The window checked before the acknowledgement: what the store keeps, less the margin, so a
 * point accepted now is still inside retention when the writer reaches it.
 */
export function ingestWindow(rawDays: number): TimeWindow {
  return { maxAgeMs: Math.max(HOUR, rawDays * DAY - RETENTION_MARGIN_MS), maxAheadMs: MAX_AHEAD_MS };
}

/**
 * The acceptance rule the writer applies to every point before either store sees it, so the
 * embedded store keeps exactly what InfluxDB's raw retention policy would (events included: in
 * InfluxDB they share the raw policy). Points only get here late when the spool held them.
 */
export function refusalOf(p: StoredPoint, now: number, window: TimeWindow): Omit<Refusal, 'index'> | undefined {
  const outside = outsideWindow(p.ts, now, window);
  return outside ? { reason: 'beyond_retention', message: outside } : undefined;
}

/** What the stores keep: InfluxDB's raw policy refuses older points; future ones it keeps. */
export function storeWindow(retention: Retention): TimeWindow {
  return { maxAgeMs: retention.rawDays * DAY, maxAheadMs: Number.POSITIVE_INFINITY };
}

/** InfluxDB's words for a per-point refusal, as a reason. */
export function classifyInfluxRefusal(message: string): StoreRefusalReason {
  if (/beyond retention/.test(message)) return 'beyond_retention';
  if (/field type conflict/.test(message)) return 'type_conflict';
  return 'store_refused';
}

/**
 * InfluxDB field keys. The contract's readings keep their names (their schema fixes one type);
 * unknown extras go under a prefix that names their type, so an extra can never take the name of
 * a tag (device, community, kind, cell, type), of seq/detail/time, or of a known reading, and a
 * number and a boolean never compete for one field's type in a shared measurement.
 */
export const EXTRA_PREFIX = { number: 'xn_', boolean: 'xb_', string: 'xs_' } as const;

export function influxFieldKey(kind: DeviceKind | null, name: string, value: number | boolean | string): string {
  if (kind !== null && isKnownReading(kind, name)) return name;
  return EXTRA_PREFIX[typeof value as 'number' | 'boolean' | 'string'] + name;
}

/** Tags and fields the store itself writes; never a reading. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['time', 'seq', 'detail', 'community', 'cell', 'device', 'kind', 'type']);

/** The reading name a field key read back from InfluxDB stands for, or undefined when it is no reading. */
export function readingNameOf(key: string): string | undefined {
  if (key.length > 3 && key[0] === 'x' && key[2] === '_' && (key[1] === 'n' || key[1] === 'b' || key[1] === 's')) return key.slice(3);
  // Known readings, and extras written before they were namespaced.
  return RESERVED_KEYS.has(key) ? undefined : key;
}
