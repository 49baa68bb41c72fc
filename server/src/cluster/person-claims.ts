import type { Sql, TransactionSql } from 'postgres';
import type { Alert } from '#devices';
import type { PersonOutboxItem, QueuedMessage } from '../notify/people/outbox.ts';
import type { PersonMessage } from '../notify/people/transport.ts';
import { FencedClaims, type FencedClaimsDeps, type UnsentRow } from './claims.ts';

/**
 * The people outbox's half of the transactional outbox (the robots' is notifications.ts): an
 * alert change's messages to people are inserted unsent into `person_deliveries` in the fenced
 * transaction that commits the change, keyed by the message's key (alert, change, level,
 * recipient, channel), so a replayed change adds nothing.
 */
export function insertPersonMessage(tx: TransactionSql, community: string, epoch: number, { channel, message: m }: QueuedMessage<PersonMessage>, now: number): Promise<unknown> {
  return tx`INSERT INTO person_deliveries (key, community_id, alert_id, channel, recipient_id, epoch, created_at, message)
    VALUES (${m.key}, ${community}, ${m.alert.id}, ${channel}, ${m.recipient.id}, ${epoch}, ${now}, ${tx.json(m as never)})
    ON CONFLICT (key) DO NOTHING`;
}

/**
 * A community's messages to people not sent yet, of alerts still open (an acknowledgement or
 * resolution stops the ladder): what a new holder sends on takeover.
 */
export async function unsentPersonMessages(sql: Sql, community: string): Promise<QueuedMessage<PersonMessage>[]> {
  const rows = await sql<{ channel: QueuedMessage['channel']; message: PersonMessage }[]>`
    SELECT d.channel, d.message FROM person_deliveries d JOIN alerts a ON a.id = d.alert_id AND a.state = 'open'
    WHERE d.community_id = ${community} AND d.sent_at IS NULL AND d.message IS NOT NULL ORDER BY d.created_at, d.key`;
  return rows.map((r) => ({ channel: r.channel, message: r.message }));
}

export interface PersonClaimsDeps extends FencedClaimsDeps {
  alertOf: (alertId: string) => Alert | undefined;
}

/**
 * The people outbox's claims (Web Push, WeCom, DingTalk, SMS, voice) across hubs, as the robot
 * messages' (FencedClaims): a key already sent is dropped, one claimed but not sent (a failed
 * attempt, a holder that died) may be claimed again by the holder now, and a hub without the
 * lease drops it. A message with no row yet (queued before its change wrote one) gets one.
 */
export class PersonClaims extends FencedClaims<PersonOutboxItem> {
  protected readonly what = 'a message to a person';

  constructor(private readonly p: PersonClaimsDeps) {
    super(p);
  }

  protected key(item: PersonOutboxItem): string {
    return item.key;
  }

  protected async unsent(tx: TransactionSql, item: PersonOutboxItem): Promise<UnsentRow | undefined> {
    const [row] = await tx<{ community_id: string; sent: boolean; last_claimant: string | null }[]>`
      SELECT community_id, sent_at IS NOT NULL AS sent, claimed_by[cardinality(claimed_by)] AS last_claimant FROM person_deliveries WHERE key = ${item.key}`;
    if (row) return row.sent ? undefined : { community: row.community_id, lastClaimant: row.last_claimant };
    const alert = this.p.alertOf(item.alertId);
    return alert && { community: alert.communityId, lastClaimant: null };
  }

  protected async mark(tx: TransactionSql, item: PersonOutboxItem, community: string, epoch: number, claimant: string): Promise<boolean> {
    const rows = await tx`INSERT INTO person_deliveries (key, community_id, alert_id, channel, recipient_id, epoch, claimed_by, created_at)
      VALUES (${item.key}, ${community}, ${item.alertId}, ${item.channel}, ${item.recipientId}, ${epoch}, ${[claimant]}, ${Date.now()})
      ON CONFLICT (key) DO UPDATE SET epoch = excluded.epoch, claimed_by = person_deliveries.claimed_by || excluded.claimed_by
      WHERE person_deliveries.sent_at IS NULL RETURNING key`;
    return rows.length > 0;
  }

  protected recordSent(sql: Sql, item: PersonOutboxItem, epoch: number | null, sentAt: number): Promise<unknown> {
    return sql`UPDATE person_deliveries SET sent_at = ${sentAt}, sent_epoch = ${epoch} WHERE key = ${item.key} AND sent_at IS NULL`;
  }
}
