import type { OutboxItem, SendClaims } from '../notify/outbox.ts';
import type { PersonOutboxItem } from '../notify/people/outbox.ts';

/**
 * The people outbox (Web Push, WeCom, DingTalk, SMS, voice) claimed across hubs as the robot
 * webhooks are (NotificationClaims in notifications.ts: fenced by the lease, a key sent once):
 * a person's message is keyed by its recipient, channel and idempotency key (alert, change,
 * level, recipient, channel). Give it its own NotificationClaims: the two outboxes' ids overlap.
 */
export function personClaims(claims: SendClaims): SendClaims<PersonOutboxItem> {
  const asClaim = (p: PersonOutboxItem): OutboxItem => ({
    id: p.id,
    alertId: p.alertId,
    url: `person:${p.recipientId}`,
    format: `person-${p.channel}`,
    body: JSON.stringify({ key: p.key }),
    attempts: p.attempts,
    nextAttemptAt: 0,
    firstFailureAt: null,
  });
  return {
    claim: (p) => claims.claim(asClaim(p)),
    stillHeld: (p) => claims.stillHeld(asClaim(p)),
    sent: (p) => claims.sent(asClaim(p)),
  };
}
