/**
 * The hub's part of a point's identity when the device sends no `seq`: a receive number per
 * device, counted from 0 in each process. It is written into the spooled line (StoredPoint.u), so
 * a replay of that line lands on the same stored point; two messages of one device with the same
 * `ts` (or none) get different numbers, so neither overwrites the other. One counter per process,
 * not per hub: hubs sharing a process (tests) only skip numbers, never repeat one.
 */
const next = new Map<string, number>();

export function takeReceiveNumber(deviceId: string): number {
  const n = next.get(deviceId) ?? 0;
  next.set(deviceId, n + 1);
  return n;
}
