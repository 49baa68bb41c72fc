import type { Alert } from '#devices';
import type { SendClaims } from '../notify/outbox.ts';
import type { PersonOutboxItem } from '../notify/people/outbox.ts';
import type { PgSql } from '../state/pg/connect.ts';
import { fenced, LeaseLost } from './leases.ts';

export interface PersonClaimsDeps {
  sql: PgSql;
  hubId: string;
  /** The epoch this hub acts under for the community now, if any. */
  epochOf: (community: string) => number | undefined;
  alertOf: (alertId: string) => Alert | undefined;
}

/**
 * The people outbox (Web Push, WeCom, DingTalk, SMS, voice) across hubs: before an attempt the
 * message's key (alert, change, level, recipient, channel) is claimed in `person_deliveries`,
 * fenced by the community's lease, as the robot messages are (notifications.ts); a key already
 * sent is dropped, one claimed but not sent (a failed attempt, a holder that died) may be claimed
 * again by the holder now, and a hub without the lease drops it. One attempt per key at a time
 * within a hub. Each attempt is listed in `claimed_by` (`hub@epoch`).
 */
export class PersonClaims implements SendClaims<PersonOutboxItem> {
  private readonly claimed = new Map<number, { community: string; epoch: number }>();
  private readonly busy = new Set<string>();

  constructor(private readonly d: PersonClaimsDeps) {}

  async claim(item: PersonOutboxItem): Promise<'send' | 'drop' | 'later'> {
    const alert = this.d.alertOf(item.alertId);
    const epoch = alert && this.d.epochOf(alert.communityId);
    if (!alert || epoch === undefined) return 'drop';
    if (this.busy.has(item.key)) return 'later';
    this.busy.add(item.key);
    const { sql, hubId } = this.d;
    try {
      const rows = await sql.begin(async (tx) => {
        await fenced(tx, hubId, alert.communityId, epoch);
        return tx`INSERT INTO person_deliveries (key, community_id, alert_id, channel, recipient_id, epoch, claimed_by, created_at)
          VALUES (${item.key}, ${alert.communityId}, ${item.alertId}, ${item.channel}, ${item.recipientId}, ${epoch}, ${[`${hubId}@${epoch}`]}, ${Date.now()})
          ON CONFLICT (key) DO UPDATE SET epoch = excluded.epoch, claimed_by = person_deliveries.claimed_by || excluded.claimed_by
          WHERE person_deliveries.sent_at IS NULL RETURNING key`;
      });
      if (rows.length === 0) {
        this.busy.delete(item.key);
        return 'drop';
      }
      this.claimed.set(item.id, { community: alert.communityId, epoch });
      return 'send';
    } catch (err) {
      this.busy.delete(item.key);
      return err instanceof LeaseLost ? 'drop' : 'later';
    }
  }

  stillHeld(item: PersonOutboxItem): boolean {
    const c = this.claimed.get(item.id);
    const held = c !== undefined && this.d.epochOf(c.community) === c.epoch;
    if (!held) this.failed(item);
    return held;
  }

  failed(item: PersonOutboxItem): void {
    this.claimed.delete(item.id);
    this.busy.delete(item.key);
  }

  async sent(item: PersonOutboxItem): Promise<void> {
    const epoch = this.claimed.get(item.id)?.epoch ?? null;
    this.claimed.delete(item.id);
    try {
      await this.d.sql`UPDATE person_deliveries SET sent_at = ${Date.now()}, sent_epoch = ${epoch} WHERE key = ${item.key} AND sent_at IS NULL`;
    } finally {
      this.busy.delete(item.key);
    }
  }
}
