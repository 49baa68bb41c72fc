import type Database from 'better-sqlite3';

/**
 * Packets already spooled, by key (platform, product, device, packet number): a platform retries
 * a push it thinks failed (a timeout, a lost answer), and a retry must be acknowledged without
 * being stored or raising its alarm again. Bounded in count and age. Held in memory and, given a
 * database, written behind to it every second and read back at start, so a retry that arrives
 * after a restart is still known (a crash forgets at most the last second's keys).
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  /**
   * Walks `seen` from its oldest key as keys are evicted. A fresh `keys().next()` per eviction
   * starts at the table's first slot and steps over every key deleted before it: once the
   * memory is full that was ~300 µs per push (more than the rest of a push), and at 2,000
   * pushes/s it filled in 100 s.
   */
  private oldest: MapIterator<string> = this.seen.keys();
  private pending: [string, number][] = [];
  private timer: NodeJS.Timeout | undefined;
  private started = false;

  constructor(
    private readonly db?: Database.Database,
    private readonly maxEntries = 200_000,
    private readonly maxAgeMs = 24 * 3600_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reads back the keys kept by the last run and starts writing new ones behind. */
  start(): void {
    if (!this.db) return;
    const rows = this.db.prepare('SELECT key, at FROM push_replays WHERE at > ? ORDER BY at DESC LIMIT ?').all(this.now() - this.maxAgeMs, this.maxEntries) as { key: string; at: number }[];
    for (const r of rows.reverse()) this.seen.set(r.key, r.at);
    this.started = true;
    this.timer = setInterval(() => this.flush(), 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }

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
    const at = this.now();
    this.seen.delete(key);
    this.seen.set(key, at);
    if (this.db) this.pending.push([key, at]);
    // Insertion order is age order: the oldest go first.
    while (this.seen.size > this.maxEntries) {
      let next = this.oldest.next();
      // An iterator that reached the end stays there: start again from the (new) oldest.
      if (next.done) next = (this.oldest = this.seen.keys()).next();
      this.seen.delete(next.value!);
    }
  }

  get size(): number {
    return this.seen.size;
  }

  private flush(): void {
    // Not started (a hub whose start failed earlier): there is no table to write to.
    if (!this.started || !this.db?.open) return;
    const rows = this.pending;
    this.pending = [];
    const insert = this.db.prepare('INSERT OR REPLACE INTO push_replays (key, at) VALUES (?, ?)');
    const prune = this.db.prepare('DELETE FROM push_replays WHERE at <= ?');
    this.db.transaction(() => {
      for (const [key, at] of rows) insert.run(key, at);
      prune.run(this.now() - this.maxAgeMs);
    })();
  }
}
