import type Database from 'better-sqlite3';
import type { Logger } from '../log.ts';

export interface OutboxItem {
  id: number;
  alertId: string;
  url: string;
  format: string;
  body: string;
  attempts: number;
  nextAttemptAt: number;
  firstFailureAt: number | null;
}

export interface DeliveryResult {
  item: OutboxItem;
  ok: boolean;
  status?: number;
  error?: string;
}

/**
 * Outgoing webhooks through a durable outbox in SQLite: a notification is stored before any
 * attempt, retried with exponential backoff while the receiver is down, and only removed once
 * delivered, so a receiver that is away for a while (or a hub restart) loses nothing.
 */
export class WebhookOutbox {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private busy = false;
  onResult: ((r: DeliveryResult) => void) | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
    private readonly opts = { maxBackoffMs: 5 * 60_000, timeoutMs: 5000, pollMs: 500 },
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS webhook_outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT NOT NULL, url TEXT NOT NULL, format TEXT NOT NULL,
      body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL, first_failure_at REAL)`);
  }

  enqueue(alertId: string, url: string, format: string, body: unknown): void {
    this.db
      .prepare('INSERT INTO webhook_outbox (alert_id, url, format, body, next_attempt_at) VALUES (?, ?, ?, ?, ?)')
      .run(alertId, url, format, JSON.stringify(body), this.clock());
    void this.deliverDue();
  }

  pending(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM webhook_outbox').get() as { n: number }).n;
  }

  start(): void {
    this.running = true;
    this.timer = setInterval(() => void this.deliverDue(), this.opts.pollMs);
    this.timer.unref();
  }

  stop(): void {
    this.running = false;
    clearInterval(this.timer);
  }

  /** Sends every due item once; failures are rescheduled. */
  async deliverDue(): Promise<void> {
    if (this.busy || !this.running) return;
    this.busy = true;
    try {
      const due = this.db
        .prepare(
          `SELECT id, alert_id AS alertId, url, format, body, attempts, next_attempt_at AS nextAttemptAt, first_failure_at AS firstFailureAt
           FROM webhook_outbox WHERE next_attempt_at <= ? ORDER BY id LIMIT 50`,
        )
        .all(this.clock()) as OutboxItem[];
      await Promise.all(due.map((item) => this.deliver(item)));
    } finally {
      this.busy = false;
    }
  }

  private async deliver(item: OutboxItem): Promise<void> {
    let result: DeliveryResult;
    try {
      const res = await fetch(item.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: item.body,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      // Robots answer 200 with {"errcode":0}; anything else is a failure to retry.
      let ok = res.ok;
      if (ok) {
        const text = await res.text();
        try {
          const body = JSON.parse(text) as { errcode?: number };
          if (typeof body.errcode === 'number' && body.errcode !== 0) ok = false;
        } catch {
          /* a plain 2xx counts as delivered */
        }
      }
      result = { item, ok, status: res.status };
    } catch (err) {
      result = { item, ok: false, error: (err as Error).message };
    }
    if (result.ok) {
      this.db.prepare('DELETE FROM webhook_outbox WHERE id = ?').run(item.id);
    } else {
      const attempts = item.attempts + 1;
      const backoff = Math.min(1000 * 2 ** Math.min(attempts - 1, 20), this.opts.maxBackoffMs);
      this.db
        .prepare('UPDATE webhook_outbox SET attempts = ?, next_attempt_at = ?, first_failure_at = coalesce(first_failure_at, ?) WHERE id = ?')
        .run(attempts, this.clock() + backoff, this.clock(), item.id);
      if (attempts === 1) this.log.warn({ url: redact(item.url), status: result.status, err: result.error }, 'webhook delivery failed; retrying with backoff');
    }
    this.onResult?.({ ...result, item: { ...item, attempts: item.attempts + 1 } });
  }
}

/** Robot URLs carry their secret in the query string. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return 'invalid url';
  }
}
