import { createHash } from 'node:crypto';
import type { Sql, TransactionSql } from 'postgres';
import type { Severity } from '#devices';
import type { Logger } from '../log.ts';
import type { OutboxItem, SendClaims } from '../notify/outbox.ts';
import type { WebhookMessage } from '../notify/webhook-channel.ts';
import { fenced, LeaseLost } from './leases.ts';

/**
 * The transactional outbox: a change's robot messages are inserted unsent in the same fenced
 * transaction that commits the change, so the intent is exactly as durable as the alert. The
 * key (alert, escalation level, recipient, channel + message) is unique: a repeated change adds
 * nothing. The body is `json`, which keeps the exact text (the message's hash names it), sent as text so
 * the client does not encode it again.
 */
export function insertMessage(tx: TransactionSql, community: string, epoch: number, m: WebhookMessage, now: number): Promise<unknown> {
  const body = JSON.stringify(m.body);
  return tx`INSERT INTO notification_outbox (community_id, alert_id, level, recipient, channel, body, format, severity, epoch, created_at)
    VALUES (${community}, ${m.alertId}, ${m.level}, ${m.url}, ${channelKey(m.format, body)}, ${body}::text::json, ${m.format}, ${m.severity}, ${epoch}, ${now})
    ON CONFLICT (alert_id, level, recipient, channel) DO NOTHING`;
}

/** A community's messages not sent yet: what a new holder sends on takeover. */
export async function unsentMessages(sql: Sql, community: string): Promise<WebhookMessage[]> {
  const rows = await sql<{ alert_id: string; level: number; recipient: string; channel: string; format: string | null; severity: Severity | null; body: string }[]>`
    SELECT alert_id, level, recipient, channel, format, severity, body::text AS body FROM notification_outbox
    WHERE community_id = ${community} AND sent_at IS NULL ORDER BY id`;
  return rows.map((r) => ({
    alertId: r.alert_id,
    level: r.level,
    url: r.recipient,
    // Rows from before these columns: the format is in the channel key.
    format: r.format ?? r.channel.split(':')[1] ?? 'wecom',
    body: JSON.parse(r.body) as unknown,
    severity: r.severity ?? 'critical',
  }));
}

export interface NotificationClaimsDeps {
  sql: Sql;
  hubId: string;
  /** The epoch this hub acts under for the community now, if any. */
  epochOf: (community: string) => number | undefined;
  /** Pause between attempts to record a sent message while PostgreSQL is unreachable. */
  retryMs?: number;
  /** A hub whose heartbeat is younger than this is alive (the lease ttl). */
  liveMs?: number;
  log?: Logger;
}

/**
 * How long a new holder waits before sending again a message another hub, still alive, claimed
 * and never recorded: that hub may have sent it and be recording it now (it could not while
 * PostgreSQL was away). A dead hub's (no heartbeat) is sent at once.
 */
const LIVE_CLAIMANT_GRACE_MS = 5000;

/**
 * Exactly-once robot notifications across hubs: before an attempt, the message's outbox row
 * (written with its alert change) is claimed, fenced by the community's lease; a row already
 * sent, or a community this hub does not hold, drops the attempt. Within this hub one attempt
 * per message at a time: a copy queued twice (a community taken back) waits, then finds it sent.
 * A sent message is recorded until PostgreSQL takes it, so it is not sent again.
 */
export class NotificationClaims implements SendClaims {
  private readonly claimed = new Map<number, { community: string; epoch: number }>();
  /** Messages with an attempt in flight, or sent and not yet recorded. */
  private readonly busy = new Set<string>();
  /** When this hub first found a message claimed by another live hub, by message. */
  private readonly deferredSince = new Map<string, number>();

  constructor(private readonly d: NotificationClaimsDeps) {}

  async claim(item: OutboxItem): Promise<'send' | 'drop' | 'later'> {
    const key = busyKey(item);
    if (this.busy.has(key)) return 'later';
    this.busy.add(key);
    const { sql, hubId } = this.d;
    const channel = channelKey(item.format, item.body);
    try {
      const got = await deadline(sql.begin(async (tx) => {
        const [row] = await tx<{ community_id: string; claimant_live: boolean }[]>`
          SELECT o.community_id, EXISTS (SELECT 1 FROM hub_members m
            WHERE m.hub_id = regexp_replace(o.claimed_by[cardinality(o.claimed_by)], '@[0-9]+$', '') AND m.hub_id <> ${hubId}
              AND m.heartbeat_at > now() - ${`${this.d.liveMs ?? 10_000} milliseconds`}::interval) AS claimant_live
          FROM notification_outbox o
          WHERE o.alert_id = ${item.alertId} AND o.recipient = ${item.url} AND o.channel = ${channel} AND o.sent_at IS NULL LIMIT 1`;
        const epoch = row && this.d.epochOf(row.community_id);
        if (!row || epoch === undefined) return undefined;
        if (row.claimant_live) {
          const since = this.deferredSince.get(key) ?? Date.now();
          this.deferredSince.set(key, since);
          if (Date.now() - since < LIVE_CLAIMANT_GRACE_MS) return 'later' as const;
        }
        this.deferredSince.delete(key);
        await fenced(tx, hubId, row.community_id, epoch);
        const claimed = await tx`UPDATE notification_outbox SET epoch = ${epoch}, claimed_by = array_append(claimed_by, ${`${hubId}@${epoch}`})
          WHERE alert_id = ${item.alertId} AND recipient = ${item.url} AND channel = ${channel} AND sent_at IS NULL RETURNING id`;
        return claimed.length > 0 ? { community: row.community_id, epoch } : undefined;
      }), CLAIM_DEADLINE_MS);
      if (got === 'later') {
        this.busy.delete(key);
        return 'later';
      }
      if (!got) {
        this.busy.delete(key);
        this.deferredSince.delete(key);
        return 'drop';
      }
      this.claimed.set(item.id, got);
      return 'send';
    } catch (err) {
      this.busy.delete(key);
      if (err instanceof ClaimTimedOut) this.d.log?.warn({ alertId: item.alertId }, 'claiming a robot message got no answer from PostgreSQL; trying again');
      return err instanceof LeaseLost ? 'drop' : 'later';
    }
  }

  stillHeld(item: OutboxItem): boolean {
    const c = this.claimed.get(item.id);
    const held = c !== undefined && this.d.epochOf(c.community) === c.epoch;
    if (!held) this.failed(item);
    return held;
  }

  failed(item: OutboxItem): void {
    this.claimed.delete(item.id);
    this.busy.delete(busyKey(item));
  }

  /** Returns at once; the record is retried until PostgreSQL takes it (not fenced: it is a fact). */
  async sent(item: OutboxItem): Promise<void> {
    const epoch = this.claimed.get(item.id)?.epoch ?? null;
    this.claimed.delete(item.id);
    void this.record(item, epoch, Date.now());
  }

  private async record(item: OutboxItem, epoch: number | null, sentAt: number): Promise<void> {
    const channel = channelKey(item.format, item.body);
    // Retried often, not backing off: another holder waits only LIVE_CLAIMANT_GRACE_MS for it.
    for (;;) {
      try {
        await this.d.sql`UPDATE notification_outbox SET sent_at = ${sentAt}, sent_epoch = ${epoch}
          WHERE alert_id = ${item.alertId} AND recipient = ${item.url} AND channel = ${channel} AND sent_at IS NULL`;
        break;
      } catch {
        await new Promise((r) => setTimeout(r, this.d.retryMs ?? 250));
      }
    }
    this.busy.delete(busyKey(item));
  }
}

/** A claim is three short statements; one not done by then is tried again (it may hold a robot's delivery slot). */
const CLAIM_DEADLINE_MS = 5000;

class ClaimTimedOut extends Error {}

function deadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new ClaimTimedOut(`no answer in ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/** The robot format and the message itself: a reminder is a new message, a replayed one is not. */
function channelKey(format: string, body: string): string {
  return `webhook:${format}:${createHash('sha256').update(body).digest('hex').slice(0, 16)}`;
}

const busyKey = (item: OutboxItem) => `${item.alertId}\n${item.url}\n${channelKey(item.format, item.body)}`;
