/**
 * Login throttling per username (known or not, so probing reveals nothing): after a few
 * failures each further attempt must wait longer (1 s, 2 s, 4 s … up to 60 s); after
 * `lockAfter` failures the name is locked for `lockMs`. Attempts inside the wait are refused
 * before any password check, so a flood costs no argon2 time. Held in memory: a restart
 * clears it, which an attacker cannot trigger from outside. Bounded in size.
 */
export interface ThrottleOptions {
  freeAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  lockAfter?: number;
  lockMs?: number;
  clock?: () => number;
  maxEntries?: number;
}

interface Entry {
  failures: number;
  nextAllowedAt: number;
  lastFailureAt: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly o: Required<ThrottleOptions>;

  constructor(o: ThrottleOptions = {}) {
    this.o = {
      freeAttempts: o.freeAttempts ?? 3,
      baseDelayMs: o.baseDelayMs ?? 1000,
      maxDelayMs: o.maxDelayMs ?? 60_000,
      lockAfter: o.lockAfter ?? 10,
      lockMs: o.lockMs ?? 15 * 60_000,
      clock: o.clock ?? Date.now,
      maxEntries: o.maxEntries ?? 100_000,
    };
  }

  private key(username: string): string {
    return username.toLowerCase();
  }

  /** Milliseconds to wait before the next attempt may be checked (0: go ahead). */
  waitMs(username: string): number {
    const e = this.entries.get(this.key(username));
    if (!e) return 0;
    return Math.max(0, e.nextAllowedAt - this.o.clock());
  }

  locked(username: string): boolean {
    const e = this.entries.get(this.key(username));
    return !!e && e.failures >= this.o.lockAfter && e.nextAllowedAt > this.o.clock();
  }

  /** Records a failure; returns the wait now imposed and whether the name just got locked. */
  failure(username: string): { waitMs: number; locked: boolean } {
    const now = this.o.clock();
    const k = this.key(username);
    let e = this.entries.get(k);
    // Failures long ago (past a lockout period) do not count against today's typo.
    if (e && now - e.lastFailureAt > this.o.lockMs) e = undefined;
    if (!e) {
      if (this.entries.size >= this.o.maxEntries) this.evict(now);
      e = { failures: 0, nextAllowedAt: 0, lastFailureAt: now };
      this.entries.set(k, e);
    }
    e.failures++;
    e.lastFailureAt = now;
    let wait = 0;
    if (e.failures >= this.o.lockAfter) wait = this.o.lockMs;
    else if (e.failures >= this.o.freeAttempts) wait = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (e.failures - this.o.freeAttempts));
    e.nextAllowedAt = now + wait;
    return { waitMs: wait, locked: e.failures >= this.o.lockAfter };
  }

  success(username: string): void {
    this.entries.delete(this.key(username));
  }

  reset(username: string): void {
    this.entries.delete(this.key(username));
  }

  private evict(now: number): void {
    for (const [k, e] of this.entries) if (e.nextAllowedAt <= now) this.entries.delete(k);
    if (this.entries.size >= this.o.maxEntries) this.entries.clear();
  }
}
