import crypto from 'node:crypto';
import type Database from 'better-sqlite3';

export interface PushSubscriptionRecord {
  id: string;
  username: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
  userAgent: string | null;
  createdAt: number;
  lastSuccessAt: number | null;
}

interface Row {
  id: string;
  username: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  user_agent: string | null;
  created_at: number;
  last_success_at: number | null;
}

/** Browsers' push subscriptions, each belonging to one account. One endpoint is one browser: it belongs to whoever subscribed it last. */
export class PushSubscriptions {
  constructor(
    private readonly db: Database.Database,
    private readonly clock: () => number = Date.now,
  ) {}

  add(username: string, sub: { endpoint: string; keys: { p256dh: string; auth: string } }, userAgent: string | null): PushSubscriptionRecord {
    const existing = this.db.prepare('SELECT * FROM push_subscriptions WHERE endpoint = ?').get(sub.endpoint) as Row | undefined;
    const id = existing?.id ?? crypto.randomUUID();
    this.db
      .prepare(
        `INSERT INTO push_subscriptions (id, username, endpoint, p256dh, auth, user_agent, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (endpoint) DO UPDATE SET username = excluded.username, p256dh = excluded.p256dh, auth = excluded.auth, user_agent = excluded.user_agent`,
      )
      .run(id, username, sub.endpoint, sub.keys.p256dh, sub.keys.auth, userAgent?.slice(0, 300) ?? null, this.clock());
    return this.get(id)!;
  }

  get(id: string): PushSubscriptionRecord | undefined {
    const row = this.db.prepare('SELECT * FROM push_subscriptions WHERE id = ?').get(id) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  list(username: string): PushSubscriptionRecord[] {
    return (this.db.prepare('SELECT * FROM push_subscriptions WHERE username = ? ORDER BY created_at').all(username) as Row[]).map(toRecord);
  }

  hasAny(usernames: readonly string[]): boolean {
    const has = this.db.prepare('SELECT 1 FROM push_subscriptions WHERE username = ? LIMIT 1');
    return usernames.some((u) => has.get(u) !== undefined);
  }

  /** One's own only: false when there is no such subscription of that user. */
  remove(username: string, id: string): boolean {
    return this.db.prepare('DELETE FROM push_subscriptions WHERE id = ? AND username = ?').run(id, username).changes === 1;
  }

  /** The push service said the subscription is gone (404/410). */
  prune(id: string): void {
    this.db.prepare('DELETE FROM push_subscriptions WHERE id = ?').run(id);
  }

  delivered(id: string): void {
    this.db.prepare('UPDATE push_subscriptions SET last_success_at = ? WHERE id = ?').run(this.clock(), id);
  }
}

function toRecord(r: Row): PushSubscriptionRecord {
  return { id: r.id, username: r.username, endpoint: r.endpoint, keys: { p256dh: r.p256dh, auth: r.auth }, userAgent: r.user_agent, createdAt: r.created_at, lastSuccessAt: r.last_success_at };
}
