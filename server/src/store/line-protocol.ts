import * as Influx from 'influx';
import type { StoredPoint } from './types.ts';

export const EVENTS_MEASUREMENT = 'events';
/** Beyond a district's worth of devices the cache starts over rather than grow without bound. */
const MAX_CACHED_DEVICES = 250_000;

/**
 * The point's timestamp in nanoseconds: microseconds from the device's ts, then seq in the last
 * three digits, so the same (device, ts, seq) always lands on the same point (an overwrite, not
 * a duplicate) and different seqs within one microsecond stay apart.
 */
export function pointNanos(ts: number, seq: number | undefined): string {
  const micros = Math.round(ts * 1000);
  const low = (seq ?? 0) % 1000;
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
  private readonly fieldKeys = new Map<string, string>();

  encode(points: StoredPoint[]): string {
    let out = '';
    for (const p of points) out += (out ? '\n' : '') + this.line(p);
    return out;
  }

  line(p: StoredPoint): string {
    let line = p.m === 't' ? p.k : EVENTS_MEASUREMENT;
    line += this.deviceTags(p);
    if (p.m === 'e') line += `,type=${Influx.escape.tag(p.ty ?? '')}`;
    const fields: [string, string][] = [];
    for (const key in p.r) fields.push([key, fieldValue(p.r[key]!)]);
    fields.push(['seq', String(p.seq ?? -1)]);
    if (p.m === 'e' && p.x && Object.keys(p.x).length > 0) fields.push(['detail', Influx.escape.quoted(JSON.stringify(p.x))]);
    fields.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (let i = 0; i < fields.length; i++) line += (i === 0 ? ' ' : ',') + this.fieldKey(fields[i]![0]) + '=' + fields[i]![1];
    return `${line} ${pointNanos(p.ts, p.seq)}`;
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

  private fieldKey(name: string): string {
    let escaped = this.fieldKeys.get(name);
    if (escaped === undefined) this.fieldKeys.set(name, (escaped = Influx.escape.tag(name)));
    return escaped;
  }
}

function fieldValue(v: number | boolean | string): string {
  return typeof v === 'string' ? Influx.escape.quoted(v) : String(v);
}
