/**
 * Cheap guards run before a payload is parsed.
 */

/**
 * True when JSON text nests arrays/objects deeper than `max`. One pass over the bytes, skipping
 * string contents (escapes included), so a 16 KiB payload costs microseconds; JSON.parse of a
 * deeply nested document, and every walk over it afterwards, never happen.
 */
export function jsonTooDeep(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === 0x5c) i++; // backslash: skip the escaped byte
      else if (b === 0x22) inString = false;
      continue;
    }
    if (b === 0x22) inString = true;
    else if (b === 0x7b || b === 0x5b) {
      if (++depth > max) return true;
    } else if (b === 0x7d || b === 0x5d) depth--;
  }
  return false;
}

export interface RateLimit {
  /** sustained messages per second per device */
  perSecond: number;
  /** messages a device may send at once before the sustained rate applies */
  burst: number;
}

/**
 * Per-device token buckets. A device over its budget has the excess dropped (counted by the
 * caller), never queued, so one chatty or hijacked device cannot crowd out the others or grow
 * memory. Buckets of devices idle long enough to have refilled are swept.
 */
export class DeviceRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private sinceSweep = 0;

  constructor(private readonly limit: RateLimit) {}

  allow(deviceId: string, now: number): boolean {
    if (this.limit.perSecond <= 0) return true;
    let b = this.buckets.get(deviceId);
    if (!b) {
      b = { tokens: this.limit.burst, at: now };
      this.buckets.set(deviceId, b);
      if (++this.sinceSweep > 100_000) this.sweep(now);
    } else {
      b.tokens = Math.min(this.limit.burst, b.tokens + ((now - b.at) / 1000) * this.limit.perSecond);
      b.at = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private sweep(now: number): void {
    this.sinceSweep = 0;
    const fullAfterMs = (this.limit.burst / this.limit.perSecond) * 1000;
    for (const [id, b] of this.buckets) if (now - b.at > fullAfterMs) this.buckets.delete(id);
  }
}
