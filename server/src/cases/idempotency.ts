import type Database from 'better-sqlite3';

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{8,100}$/;
/** How long a key is remembered: longer than any phone stays offline. */
export const IDEMPOTENCY_TTL_MS = 7 * 86_400_000;

/**
 * The answers to case requests that carried an `Idempotency-Key`, per sender: the phone's
 * offline queue sends a report or a disposal until it hears back, and the repeat gets the first
 * answer instead of a second case or a 409.
 */
export class IdempotencyStore {
  private lastPrune = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly clock: () => number,
  ) {}

  get(owner: string, key: string): { status: number; body: unknown } | undefined {
    const row = this.db.prepare('SELECT status, body, created_at FROM case_requests WHERE owner = ? AND key = ?').get(owner, key) as { status: number; body: string; created_at: number } | undefined;
    if (!row || this.clock() - row.created_at > IDEMPOTENCY_TTL_MS) return undefined;
    return { status: row.status, body: JSON.parse(row.body) };
  }

  put(owner: string, key: string, status: number, body: unknown): void {
    const now = this.clock();
    this.db.prepare('INSERT OR REPLACE INTO case_requests (owner, key, status, body, created_at) VALUES (?, ?, ?, ?, ?)').run(owner, key, status, JSON.stringify(body), now);
    if (now - this.lastPrune > 3_600_000) {
      this.lastPrune = now;
      this.db.prepare('DELETE FROM case_requests WHERE created_at < ?').run(now - IDEMPOTENCY_TTL_MS);
    }
  }
}
