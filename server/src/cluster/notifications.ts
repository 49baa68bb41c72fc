import { createHash } from 'node:crypto';
import type { Sql } from 'postgres';
import type { Alert } from '#devices';
import type { OutboxItem, SendClaims } from '../notify/outbox.ts';
import { fenced, LeaseLost } from './leases.ts';

export interface NotificationClaimsDeps {
  sql: Sql;
  hubId: string;
  /** The epoch this hub acts under for the community now, if any. */
  epochOf: (community: string) => number | undefined;
  alertOf: (alertId: string) => Alert | undefined;
}

/**
 * Exactly-once robot notifications across hubs: before an attempt, the key (alert, escalation
 * level, recipient, channel + message) is claimed in `notification_outbox`, fenced by the lease;
 * a key already sent is dropped, a key claimed but not sent (a failed attempt, a holder that died)
 * may be claimed again by whoever holds the community now, and a hub without the lease drops it.
 */
export class NotificationClaims implements SendClaims {
  private readonly epochs = new Map<number, number>();

  constructor(private readonly d: NotificationClaimsDeps) {}

  async claim(item: OutboxItem): Promise<'send' | 'drop' | 'later'> {
    const alert = this.d.alertOf(item.alertId);
    const epoch = alert && this.d.epochOf(alert.communityId);
    if (!alert || epoch === undefined) return 'drop';
    const { sql, hubId } = this.d;
    try {
      const rows = await sql.begin(async (tx) => {
        await fenced(tx, hubId, alert.communityId, epoch);
        return tx`INSERT INTO notification_outbox (community_id, alert_id, level, recipient, channel, body, epoch, created_at)
          VALUES (${alert.communityId}, ${item.alertId}, ${alert.escalationLevel}, ${item.url}, ${channelKey(item)}, ${tx.json(JSON.parse(item.body) as never)}, ${epoch}, ${Date.now()})
          ON CONFLICT (alert_id, level, recipient, channel) DO UPDATE SET epoch = excluded.epoch WHERE notification_outbox.sent_at IS NULL
          RETURNING id`;
      });
      if (rows.length === 0) return 'drop';
      this.epochs.set(item.id, epoch);
      return 'send';
    } catch (err) {
      return err instanceof LeaseLost ? 'drop' : 'later';
    }
  }

  stillHeld(item: OutboxItem): boolean {
    const alert = this.d.alertOf(item.alertId);
    return alert !== undefined && this.epochs.get(item.id) === this.d.epochOf(alert.communityId);
  }

  async sent(item: OutboxItem): Promise<void> {
    const epoch = this.epochs.get(item.id);
    this.epochs.delete(item.id);
    await this.d.sql`UPDATE notification_outbox SET sent_at = ${Date.now()}, sent_epoch = ${epoch ?? null} WHERE alert_id = ${item.alertId} AND recipient = ${item.url} AND channel = ${channelKey(item)} AND sent_at IS NULL`;
  }
}

/** The robot format and the message itself: a reminder is a new message, a replayed one is not. */
function channelKey(item: OutboxItem): string {
  return `webhook:${item.format}:${createHash('sha256').update(item.body).digest('hex').slice(0, 16)}`;
}
