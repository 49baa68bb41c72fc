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
  /** sustained messages per second per device, in the device's own time */
  perSecond: number;
  /** messages a device may send at once before the sustained rate applies */
  burst: number;
  /** How far a device's `ts` may run ahead of the hub's clock before it counts as the hub's clock. */
  maxLeadMs?: number;
}

export const DEFAULT_MAX_LEAD_MS = 5000;

/**
 * Per-device token buckets that run on the device's own clock (its `ts`), not on when the hub
 * happens to receive the message. A backlog the broker replays in a rush after an outage carries
 * the timestamps it was made at, spread at the device's real rate, so it passes: a limiter on
 * receive time refused it after the PUBACK, which lost acknowledged messages.
 *
 * A bucket's clock starts at the device's own first `ts`, whatever its offset from the hub's
 * clock: it started at the hub's time once, and a device whose clock lagged (local time west of
 * UTC) got no refill for hours. Against forged timestamps, the device clock may advance no faster
 * than the hub's own clock did since the bucket was made, plus an allowance: the time the hub did
 * not hear from the device before (what its budget allowed over that silence, so a replayed backlog
 * passes) and `maxLeadMs`. It never runs more than `maxLeadMs` ahead of receive time and never
 * backwards. So a flooder with current, future or old timestamps is held to `perSecond` of receive
 * time, and its excess is refused (counted by the caller), never queued, so it cannot crowd out
 * other devices. Buckets idle long enough to have refilled are swept.
 */
export class DeviceRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number; at0: number; rx0: number; allowance: number; rx: number }>();
  /** Per device: when the hub last heard it before the limiter met it (the silence allowance starts there). */
  private readonly floors = new Map<string, number>();
  private sinceSweep = 0;
  private readonly maxLeadMs: number;

  constructor(private readonly limit: RateLimit) {
    this.maxLeadMs = limit.maxLeadMs ?? DEFAULT_MAX_LEAD_MS;
  }

  /**
   * `lane`: the device's telemetry and its events/status reach the hub on separate connections,
   * each in order but not with each other (events run ahead while telemetry is held), so each
   * lane has its own bucket. `deviceTs`: the message's own timestamp (receive time when it has
   * none). `lastHeardAt`: when the hub last received anything from this device (persisted, so it
   * survives a restart); read once, when the limiter first meets the device, before either lane
   * moves it on.
   */
  allow(deviceId: string, lane: 'telemetry' | 'events', deviceTs: number, receivedAt: number, lastHeardAt?: number | null): boolean {
    if (this.limit.perSecond <= 0) return true;
    const key = lane === 'telemetry' ? deviceId : `${deviceId}\u0000e`;
    let at = Math.min(Number.isFinite(deviceTs) ? deviceTs : receivedAt, receivedAt + this.maxLeadMs);
    let b = this.buckets.get(key);
    if (!b) {
      let floor = this.floors.get(deviceId);
      if (floor === undefined) {
        floor = Math.min(lastHeardAt ?? receivedAt, receivedAt);
        this.floors.set(deviceId, floor);
      }
      b = { tokens: this.limit.burst, at, at0: at, rx0: receivedAt, allowance: receivedAt - floor + this.maxLeadMs, rx: receivedAt };
      this.buckets.set(key, b);
      if (++this.sinceSweep > 100_000) this.sweep(receivedAt);
    } else {
      if (receivedAt > b.rx) b.rx = receivedAt;
      at = Math.min(at, b.at0 + (b.rx - b.rx0) + b.allowance);
      if (at > b.at) {
        b.tokens = Math.min(this.limit.burst, b.tokens + ((at - b.at) / 1000) * this.limit.perSecond);
        b.at = at;
      }
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private sweep(now: number): void {
    this.sinceSweep = 0;
    const fullAfterMs = (this.limit.burst / this.limit.perSecond) * 1000;
    // Judged on receive time (a lagging device's clock is always far behind now). A bucket idle that long would be full again.
    for (const [key, b] of this.buckets) if (now - b.rx > fullAfterMs + this.maxLeadMs) this.buckets.delete(key);
    for (const id of this.floors.keys()) if (!this.buckets.has(id) && !this.buckets.has(`${id}\u0000e`)) this.floors.delete(id);
  }
}
