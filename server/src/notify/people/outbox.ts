import type Database from 'better-sqlite3';
import { severityRank, type Severity } from '#devices';
import type { Logger } from '../../log.ts';
import type { SendClaims } from '../outbox.ts';
import { isCaseMessage, type OutboxMessage, type PersonChannelName, type PersonTransport, type SendResult } from './transport.ts';

export interface QueuedMessage {
  channel: PersonChannelName;
  message: OutboxMessage;
}

export interface PersonOutboxItem {
  id: number;
  key: string;
  /** the alert's id, or the case's for a case message */
  alertId: string;
  channel: PersonChannelName;
  recipientId: string;
  message: OutboxMessage;
  /** attempts so far, this one included */
  attempts: number;
  createdAt: number;
}

/** One attempt's outcome: `sent`, `retrying` (a transient failure) or `failed` (permanent, or out of attempts). */
export interface PersonDeliveryOutcome {
  item: PersonOutboxItem;
  result: SendResult;
  outcome: 'sent' | 'retrying' | 'failed';
}

export interface ChannelHealth {
  status: 'ok' | 'failing' | 'idle';
  pending: number;
  sent: number;
  failed: number;
  consecutiveFailures: number;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  lastError?: string;
}

interface Row {
  id: number;
  key: string;
  alert_id: string;
  channel: PersonChannelName;
  recipient_id: string;
  message: string;
  attempts: number;
  created_at: number;
}

export interface PersonOutboxOptions {
  pollMs: number;
  maxBackoffMs: number;
  /** a send that takes longer counts as a transient failure */
  sendTimeoutMs: number;
  /** after this many transient failures the item is given up (recorded as failed) */
  maxAttempts: number;
  /** delivered and given-up rows are kept this long (idempotency), then deleted */
  keepDoneMs: number;
}

const DEFAULTS: PersonOutboxOptions = { pollMs: 500, maxBackoffMs: 5 * 60_000, sendTimeoutMs: 15_000, maxAttempts: 16, keepDoneMs: 7 * 86400_000 };
/** Sends in flight at once per channel: push services take many, app and SMS providers fewer. */
const IN_FLIGHT: Record<PersonChannelName, number> = { webpush: 64, wecom: 8, dingtalk: 8, sms: 4, voice: 2 };

/**
 * The durable outbox for delivery to people: one row per (alert, change, level, recipient,
 * channel), stored before any attempt (the key makes a replayed change a no-op), sent by the
 * channel's transport, retried with exponential backoff on transient failures, never retried on
 * permanent ones, and cancelled when the alert is acknowledged. Each channel has its own queue and
 * its own in-flight limit, so a provider that hangs holds up only its own messages.
 */
export class PersonOutbox {
  private readonly transports = new Map<PersonChannelName, PersonTransport>();
  private readonly inFlight = new Map<PersonChannelName, Set<number>>();
  private readonly stats = new Map<PersonChannelName, Omit<ChannelHealth, 'status' | 'pending'>>();
  private readonly opts: PersonOutboxOptions;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private kicked = false;
  private polls = 0;
  onResult: ((o: PersonDeliveryOutcome) => void) | undefined;
  /** Cluster mode (server/src/cluster/person-claims.ts): each message claimed in the shared state, fenced by the lease. */
  claims: SendClaims<PersonOutboxItem> | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
    opts: Partial<PersonOutboxOptions> = {},
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  register(transport: PersonTransport): void {
    this.transports.set(transport.channel, transport);
  }

  transport(channel: PersonChannelName): PersonTransport | undefined {
    return this.transports.get(channel);
  }

  get transportList(): PersonTransport[] {
    return [...this.transports.values()];
  }

  get channels(): PersonChannelName[] {
    return [...this.transports.keys()];
  }

  /** Stores the messages (in one transaction); returns those that were new (not already queued under their key). */
  enqueue(items: readonly QueuedMessage[], severity: Severity): QueuedMessage[] {
    const insert = this.db.prepare(
      'INSERT OR IGNORE INTO people_outbox (key, alert_id, channel, recipient_id, message, priority, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const now = this.clock();
    const added = this.db.transaction(() =>
      items.filter(({ channel, message: m }) => insert.run(m.key, isCaseMessage(m) ? m.case.id : m.alert.id, channel, m.recipient.id, JSON.stringify(m), severityRank[severity], now, now).changes === 1),
    )();
    if (added.length) this.kick();
    return added;
  }

  /** Cancels every pending message of an alert (an acknowledgement stops the ladder on every channel), or of a case, but those keyed `keep`. */
  cancel(alertId: string, keep: readonly string[] = []): number {
    if (keep.length) {
      return this.db
        .prepare("UPDATE people_outbox SET state = 'cancelled', done_at = ? WHERE alert_id = ? AND state = 'pending' AND key NOT IN (SELECT value FROM json_each(?))")
        .run(this.clock(), alertId, JSON.stringify(keep)).changes;
    }
    return this.db.prepare("UPDATE people_outbox SET state = 'cancelled', done_at = ? WHERE alert_id = ? AND state = 'pending'").run(this.clock(), alertId).changes;
  }

  pending(channel?: PersonChannelName): number {
    const row = channel
      ? this.db.prepare("SELECT count(*) AS n FROM people_outbox WHERE state = 'pending' AND channel = ?").get(channel)
      : this.db.prepare("SELECT count(*) AS n FROM people_outbox WHERE state = 'pending'").get();
    return (row as { n: number }).n;
  }

  /** What each registered channel is doing, for /healthz. */
  health(): Record<string, ChannelHealth> {
    const pending = new Map(
      (this.db.prepare("SELECT channel, count(*) AS n FROM people_outbox WHERE state = 'pending' GROUP BY channel").all() as { channel: string; n: number }[]).map((r) => [r.channel, r.n]),
    );
    const out: Record<string, ChannelHealth> = {};
    for (const channel of this.transports.keys()) {
      const s = this.stat(channel);
      const status = s.consecutiveFailures > 0 ? 'failing' : s.lastSuccessAt === null ? 'idle' : 'ok';
      out[channel] = { status, pending: pending.get(channel) ?? 0, ...s };
    }
    return out;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.timer = setInterval(() => {
      if (this.polls++ % 120 === 0) this.prune();
      void this.deliverDue();
    }, this.opts.pollMs);
    this.timer.unref();
    this.kick();
  }

  stop(): void {
    this.running = false;
    clearInterval(this.timer);
  }

  /** Starts every due item that fits its channel's in-flight limit; resolves when those have settled. */
  async deliverDue(): Promise<void> {
    if (!this.running) return;
    const started: Promise<void>[] = [];
    const due = this.db.prepare(
      "SELECT id, key, alert_id, channel, recipient_id, message, attempts, created_at FROM people_outbox WHERE state = 'pending' AND channel = ? AND next_attempt_at <= ? ORDER BY priority, id LIMIT ?",
    );
    for (const [channel, transport] of this.transports) {
      const flying = this.inFlightOf(channel);
      const free = IN_FLIGHT[channel] - flying.size;
      if (free <= 0) continue;
      for (const row of due.all(channel, this.clock(), free + flying.size) as Row[]) {
        if (flying.size >= IN_FLIGHT[channel]) break;
        if (flying.has(row.id)) continue;
        flying.add(row.id);
        started.push(this.attempt(transport, toItem(row)).finally(() => {
          flying.delete(row.id);
          this.kick();
        }));
      }
    }
    await Promise.all(started);
  }

  private async attempt(transport: PersonTransport, item: PersonOutboxItem): Promise<void> {
    // Cases are each hub's own; an alert's messages are its community's holder's to send.
    const claims = isCaseMessage(item.message) ? undefined : this.claims;
    if (claims) {
      const verdict = await claims.claim(item).catch(() => 'later' as const);
      if (verdict === 'later') {
        this.db.prepare('UPDATE people_outbox SET next_attempt_at = ? WHERE id = ?').run(this.clock() + 1000, item.id);
        return;
      }
      if (verdict === 'drop' || !claims.stillHeld(item)) {
        // Sent already (by this community's previous holder), or no longer this hub's to send.
        this.db.prepare("UPDATE people_outbox SET state = 'cancelled', done_at = ?, last_error = 'claimed elsewhere' WHERE id = ? AND state = 'pending'").run(this.clock(), item.id);
        return;
      }
    }
    let result: SendResult;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<SendResult>((resolve) => {
        timer = setTimeout(() => resolve({ ok: false, error: `no answer within ${this.opts.sendTimeoutMs} ms` }), this.opts.sendTimeoutMs);
      });
      const m = item.message;
      const sending = isCaseMessage(m) ? (transport.sendCase?.(m) ?? Promise.resolve({ ok: false, retry: false, error: `${transport.channel} carries no cases` })) : transport.send(m);
      result = await Promise.race([sending, timeout]);
    } catch (err) {
      result = { ok: false, error: (err as Error).message };
    } finally {
      clearTimeout(timer);
    }
    const now = this.clock();
    const s = this.stat(item.channel);
    let outcome: PersonDeliveryOutcome['outcome'];
    if (result.ok) {
      outcome = 'sent';
      this.db.prepare("UPDATE people_outbox SET state = 'sent', attempts = ?, done_at = ?, last_error = NULL WHERE id = ? AND state = 'pending'").run(item.attempts, now, item.id);
      await claims?.sent(item).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'recording a sent message to a person failed'));
      s.sent++;
      s.consecutiveFailures = 0;
      s.lastSuccessAt = now;
    } else {
      claims?.failed?.(item);
      const permanent = result.retry === false || item.attempts >= this.opts.maxAttempts;
      outcome = permanent ? 'failed' : 'retrying';
      const error = (result.error ?? (result.status ? `HTTP ${result.status}` : 'failed')).slice(0, 300);
      if (permanent) {
        this.db.prepare("UPDATE people_outbox SET state = 'failed', attempts = ?, done_at = ?, last_error = ? WHERE id = ? AND state = 'pending'").run(item.attempts, now, error, item.id);
        s.failed++;
      } else {
        const backoff = Math.min(1000 * 2 ** Math.min(item.attempts - 1, 20), this.opts.maxBackoffMs);
        this.db
          .prepare('UPDATE people_outbox SET attempts = ?, next_attempt_at = ?, first_failure_at = coalesce(first_failure_at, ?), last_error = ? WHERE id = ?')
          .run(item.attempts, now + backoff, now, error, item.id);
      }
      // A permanent refusal says something about one address, not about the provider.
      if (result.retry !== false) {
        s.consecutiveFailures++;
        s.lastFailureAt = now;
      }
      s.lastError = error;
      if (item.attempts === 1 || permanent) this.log.warn({ channel: item.channel, alertId: item.alertId, recipient: item.recipientId, status: result.status, err: error, outcome }, 'delivery to a person failed');
    }
    try {
      this.onResult?.({ item, result, outcome });
    } catch (err) {
      this.log.error({ err }, 'recording a delivery result failed');
    }
  }

  /** Coalesces "something finished or arrived": one pass per turn of the event loop. */
  private kick(): void {
    if (!this.running || this.kicked) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      void this.deliverDue();
    });
  }

  private prune(): void {
    this.db.prepare("DELETE FROM people_outbox WHERE state != 'pending' AND done_at < ?").run(this.clock() - this.opts.keepDoneMs);
  }

  private inFlightOf(channel: PersonChannelName): Set<number> {
    let s = this.inFlight.get(channel);
    if (!s) this.inFlight.set(channel, (s = new Set()));
    return s;
  }

  private stat(channel: PersonChannelName): Omit<ChannelHealth, 'status' | 'pending'> {
    let s = this.stats.get(channel);
    if (!s) this.stats.set(channel, (s = { sent: 0, failed: 0, consecutiveFailures: 0, lastSuccessAt: null, lastFailureAt: null }));
    return s;
  }
}

function toItem(row: Row): PersonOutboxItem {
  return {
    id: row.id,
    key: row.key,
    alertId: row.alert_id,
    channel: row.channel,
    recipientId: row.recipient_id,
    message: JSON.parse(row.message) as OutboxMessage,
    attempts: row.attempts + 1,
    createdAt: row.created_at,
  };
}
