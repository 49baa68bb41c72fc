import type Database from 'better-sqlite3';
import { severityRank, type Severity } from '#devices';
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
/** Deliveries in flight at once, in all and per endpoint URL. */
/**
 * Cluster mode (server/src/cluster/notifications.ts): each attempt is claimed in the shared state,
 * fenced by the community's lease, so no notification goes out twice or from a hub that lost it.
 */
export interface SendClaims<T = OutboxItem> {
  /** send it; drop it (sent already, or no longer this hub's); or try again later (state unreachable) */
  claim(item: T): Promise<'send' | 'drop' | 'later'>;
  /** Checked right before the request goes out: the lease may have lapsed since the claim. */
  stillHeld(item: T): boolean;
  sent(item: T): Promise<void>;
  /** The attempt failed: the item may be claimed again. */
  failed?(item: T): void;
}

const MAX_IN_FLIGHT = 50;
const MAX_PER_URL = 4;

export class WebhookOutbox {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly inFlight = new Set<number>();
  private readonly perUrl = new Map<string, number>();
  onResult: ((r: DeliveryResult) => void) | undefined;
  claims: SendClaims | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
    private readonly opts = { maxBackoffMs: 5 * 60_000, timeoutMs: 5000, pollMs: 500 },
  ) {}

  /** `severity` orders each endpoint's queue: a critical notification never waits behind minor ones. */
  enqueue(alertId: string, url: string, format: string, body: unknown, severity: Severity = 'minor'): void {
    this.db
      .prepare('INSERT INTO webhook_outbox (alert_id, url, format, body, next_attempt_at, priority) VALUES (?, ?, ?, ?, ?, ?)')
      .run(alertId, url, format, JSON.stringify(body), this.clock(), severityRank[severity]);
    void this.deliverDue();
  }

  pending(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM webhook_outbox').get() as { n: number }).n;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.timer = setInterval(() => void this.deliverDue(), this.opts.pollMs);
    this.timer.unref();
  }

  stop(): void {
    this.running = false;
    clearInterval(this.timer);
  }

  /**
   * Sends due items, each once, at most MAX_PER_URL at a time per endpoint: the oldest 50 due, all
   * awaited together, let one endpoint that never answers hold every other one's notifications
   * (a fire alarm waited behind its retries for more than 30 s). Resolves when the deliveries it
   * started have settled; failures are rescheduled.
   */
  async deliverDue(): Promise<void> {
    if (!this.running) return;
    const free = MAX_IN_FLIGHT - this.inFlight.size;
    if (free <= 0) return;
    const due = this.db
      .prepare(
        `SELECT id, alertId, url, format, body, attempts, nextAttemptAt, firstFailureAt FROM (
           SELECT id, alert_id AS alertId, url, format, body, attempts, next_attempt_at AS nextAttemptAt, first_failure_at AS firstFailureAt,
             priority, row_number() OVER (PARTITION BY url ORDER BY priority, id) AS rn
           FROM webhook_outbox WHERE next_attempt_at <= ?)
         WHERE rn <= ? ORDER BY priority, id LIMIT ?`,
      )
      .all(this.clock(), MAX_PER_URL * 2, MAX_IN_FLIGHT * 2) as OutboxItem[];
    const started: Promise<void>[] = [];
    for (const item of due) {
      if (started.length >= free) break;
      if (this.inFlight.has(item.id)) continue;
      const n = this.perUrl.get(item.url) ?? 0;
      if (n >= MAX_PER_URL) continue;
      this.inFlight.add(item.id);
      this.perUrl.set(item.url, n + 1);
      started.push(
        this.deliver(item).finally(() => {
          this.inFlight.delete(item.id);
          const left = (this.perUrl.get(item.url) ?? 1) - 1;
          if (left > 0) this.perUrl.set(item.url, left);
          else this.perUrl.delete(item.url);
          // A freed slot takes the next due item now: a backlog drained at MAX_PER_URL a poll (8/s).
          void this.deliverDue();
        }),
      );
    }
    await Promise.all(started);
  }

  private async deliver(item: OutboxItem): Promise<void> {
    if (this.claims) {
      const verdict = await this.claims.claim(item).catch(() => 'later' as const);
      if (verdict === 'later') {
        this.db.prepare('UPDATE webhook_outbox SET next_attempt_at = ? WHERE id = ?').run(this.clock() + 1000, item.id);
        return;
      }
      if (verdict === 'drop' || !this.claims.stillHeld(item)) {
        this.db.prepare('DELETE FROM webhook_outbox WHERE id = ?').run(item.id);
        return;
      }
    }
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
      await this.claims?.sent(item).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'recording a sent notification failed'));
    } else {
      this.claims?.failed?.(item);
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
