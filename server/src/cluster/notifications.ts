import { createHash } from 'node:crypto';
import type { Sql, TransactionSql } from 'postgres';
import type { Severity } from '#devices';
import type { OutboxItem } from '../notify/outbox.ts';
import type { WebhookMessage } from '../notify/webhook-channel.ts';
import { FencedClaims, type UnsentRow } from './claims.ts';

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

/** Robot messages' claims (FencedClaims): the row is the outbox's own, written with the alert change. */
export class NotificationClaims extends FencedClaims<OutboxItem> {
  protected readonly what = 'a robot message';

  protected key(item: OutboxItem): string {
    return `${item.alertId}\n${item.url}\n${channelKey(item.format, item.body)}`;
  }

  protected async unsent(tx: TransactionSql, item: OutboxItem): Promise<UnsentRow | undefined> {
    const [row] = await tx<{ community_id: string; last_claimant: string | null }[]>`
      SELECT community_id, claimed_by[cardinality(claimed_by)] AS last_claimant FROM notification_outbox
      WHERE alert_id = ${item.alertId} AND recipient = ${item.url} AND channel = ${channelKey(item.format, item.body)} AND sent_at IS NULL LIMIT 1`;
    return row && { community: row.community_id, lastClaimant: row.last_claimant };
  }

  protected async mark(tx: TransactionSql, item: OutboxItem, _community: string, epoch: number, claimant: string): Promise<boolean> {
    const claimed = await tx`UPDATE notification_outbox SET epoch = ${epoch}, claimed_by = array_append(claimed_by, ${claimant})
      WHERE alert_id = ${item.alertId} AND recipient = ${item.url} AND channel = ${channelKey(item.format, item.body)} AND sent_at IS NULL RETURNING id`;
    return claimed.length > 0;
  }

  protected recordSent(sql: Sql, item: OutboxItem, epoch: number | null, sentAt: number): Promise<unknown> {
    return sql`UPDATE notification_outbox SET sent_at = ${sentAt}, sent_epoch = ${epoch}
      WHERE alert_id = ${item.alertId} AND recipient = ${item.url} AND channel = ${channelKey(item.format, item.body)} AND sent_at IS NULL`;
  }
}

/** The robot format and the message itself: a reminder is a new message, a replayed one is not. */
function channelKey(format: string, body: string): string {
  return `webhook:${format}:${createHash('sha256').update(body).digest('hex').slice(0, 16)}`;
}

