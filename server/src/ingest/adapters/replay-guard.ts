/**
 * Packets already spooled, by key (platform, product, device, packet number): a platform retries
 * a push it thinks failed (a timeout, a lost answer), and a retry must be acknowledged without
 * being stored or raising its alarm again. Bounded in count and age; held in memory, so after a
 * restart the store's own idempotency (same device, ts and seq) is what keeps a replay single.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly maxEntries = 200_000,
    private readonly maxAgeMs = 24 * 3600_000,
    private readonly now: () => number = Date.now,
  ) {}

  has(key: string): boolean {
    const at = this.seen.get(key);
    if (at === undefined) return false;
    if (this.now() - at > this.maxAgeMs) {
      this.seen.delete(key);
      return false;
    }
    return true;
  }

  add(key: string): void {
    this.seen.delete(key);
    this.seen.set(key, this.now());
    // Insertion order is age order: the oldest go first.
    while (this.seen.size > this.maxEntries) this.seen.delete(this.seen.keys().next().value!);
  }

  get size(): number {
    return this.seen.size;
  }
}
