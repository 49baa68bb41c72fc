/**
 * The hub's part of a point's identity when the device sends no `seq`: a receive number per
 * device, counted from 0 in each hub run. It is written into the spooled line (StoredPoint.u), so
 * a replay of that line lands on the same stored point; two messages of one device with the same
 * `ts` (or none) get different numbers, so neither overwrites the other.
 */
export class ReceiveNumbers {
  private readonly next = new Map<string, number>();

  take(deviceId: string): number {
    const n = this.next.get(deviceId) ?? 0;
    this.next.set(deviceId, n + 1);
    return n;
  }
}
