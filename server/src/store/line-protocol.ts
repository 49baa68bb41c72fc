import * as Influx from 'influx';
import type { DeviceKind } from '#devices';
import { influxFieldKey } from './acceptance.ts';
import type { StoredPoint } from './types.ts';

export const EVENTS_MEASUREMENT = 'events';
/** Beyond a district's worth of devices the cache starts over rather than grow without bound. */
const MAX_CACHED_DEVICES = 250_000;

/**
 * The point's timestamp in nanoseconds: microseconds from the device's ts, then its identity in
 * the last three digits (the device's seq, or the hub's receive number `u` when it sent none),
 * so the same point always lands on the same timestamp (an overwrite, not a duplicate) and
 * different points within one microsecond stay apart. Reads drop these digits.
 */
export function pointNanos(ts: number, seq: number | undefined, u?: number): string {
  const micros = Math.round(ts * 1000);
  const low = (seq ?? u ?? 0) % 1000;
  // Nanoseconds pass 2^53, microseconds do not: append the three digits as text, no BigInt.
  if (micros > 0 && Number.isSafeInteger(micros) && low >= 0) return `${micros}${low < 10 ? '00' : low < 100 ? '0' : ''}${low}`;
  return (BigInt(micros) * 1000n + BigInt(low)).toString();
}

/**
 * InfluxDB line protocol for stored points, written out directly. It is what the `influx`
 * package's writePoints produces (same tag order, sorted fields, numbers as floats, strings
 * quoted), without its per-point schema coercion and escaping: the tag part of a line is the
 * same for every point of a device, so it is escaped once and kept.
 */
export class LineProtocolEncoder {
  private readonly tagsByDevice = new Map<string, { key: string; tags: string }>();
  /** Per measurement, per reading name: the field key for each value type, namespaced and escaped. */
  private readonly fieldKeys = new Map<string, Map<string, FieldKeys>>();
  private cachedFieldKeys = 0;

  encode(points: StoredPoint[]): string {
    let out = '';
    for (const p of points) out += (out ? '\n' : '') + this.line(p);
    return out;
  }

  line(p: StoredPoint): string {
    const measurement = p.m === 't' ? p.k : EVENTS_MEASUREMENT;
    let line = measurement;
    line += this.deviceTags(p);
    if (p.m === 'e') line += `,type=${Influx.escape.tag(p.ty ?? '')}`;
    const keys = this.keysOf(measurement);
    const kind = p.m === 't' ? p.k : null;
    const fields: [FieldKey, string][] = [];
    for (const key in p.r) {
      const v = p.r[key]!;
      fields.push([this.fieldKey(keys, kind, key, v), fieldValue(v)]);
    }
    fields.push([SEQ_KEY, String(p.seq ?? -1 - (p.u ?? 0))]);
    if (p.m === 'e' && p.x && Object.keys(p.x).length > 0) fields.push([DETAIL_KEY, Influx.escape.quoted(JSON.stringify(p.x))]);
    fields.sort((a, b) => (a[0].name < b[0].name ? -1 : a[0].name > b[0].name ? 1 : 0));
    for (let i = 0; i < fields.length; i++) line += (i === 0 ? ' ' : ',') + fields[i]![0].escaped + '=' + fields[i]![1];
    return `${line} ${pointNanos(p.ts, p.seq, p.u)}`;
  }

  private deviceTags(p: StoredPoint): string {
    const key = `${p.c}\u0000${p.k}\u0000${p.g ?? ''}`;
    const cached = this.tagsByDevice.get(p.d);
    if (cached && cached.key === key) return cached.tags;
    if (this.tagsByDevice.size >= MAX_CACHED_DEVICES) this.tagsByDevice.clear();
    const esc = Influx.escape.tag;
    const tags = `,community=${esc(p.c)},device=${esc(p.d)},kind=${esc(p.k)}${p.g ? `,cell=${esc(p.g)}` : ''}`;
    this.tagsByDevice.set(p.d, { key, tags });
    return tags;
  }

  private keysOf(measurement: string): Map<string, FieldKeys> {
    let keys = this.fieldKeys.get(measurement);
    if (!keys) this.fieldKeys.set(measurement, (keys = new Map()));
    return keys;
  }

  private fieldKey(keys: Map<string, FieldKeys>, kind: DeviceKind | null, name: string, v: number | boolean | string): FieldKey {
    let entry = keys.get(name);
    if (!entry) {
      // Names come from devices; old spool lines may hold any. Bound the cache, not the names.
      if (this.cachedFieldKeys >= MAX_CACHED_FIELD_KEYS) {
        for (const m of this.fieldKeys.values()) m.clear();
        this.cachedFieldKeys = 0;
      }
      keys.set(name, (entry = {}));
      this.cachedFieldKeys++;
    }
    const type = typeof v as 'number' | 'boolean' | 'string';
    let key = entry[type];
    if (!key) {
      const full = influxFieldKey(kind, name, v);
      // A line break cannot be escaped in line protocol: it would end the line and start another.
      entry[type] = key = { name: full, escaped: Influx.escape.tag(full.replace(/[\r\n]/g, '_')) };
    }
    return key;
  }
}

interface FieldKey {
  /** The key as InfluxDB stores it (fields are sorted by it, as the influx package does). */
  name: string;
  escaped: string;
}
type FieldKeys = Partial<Record<'number' | 'boolean' | 'string', FieldKey>>;

const SEQ_KEY: FieldKey = { name: 'seq', escaped: 'seq' };
const DETAIL_KEY: FieldKey = { name: 'detail', escaped: 'detail' };
const MAX_CACHED_FIELD_KEYS = 100_000;

function fieldValue(v: number | boolean | string): string {
  return typeof v === 'string' ? Influx.escape.quoted(v) : String(v);
}
