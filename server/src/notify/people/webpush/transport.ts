import crypto from 'node:crypto';
import https from 'node:https';
import webpush, { WebPushError } from 'web-push';
import { canSeeAlert, type Principal, type UserRecord } from '../../../auth/roles.ts';
import type { Logger } from '../../../log.ts';
import type { CaseMessage, PersonMessage, PersonRecipient, PersonTransport, SendResult } from '../transport.ts';
import { casePushPayload, pushPayload } from './payload.ts';
import type { PushSubscriptions } from './subscriptions.ts';
import type { VapidKeys } from './vapid-keys.ts';

export interface WebPushTransportDeps {
  subscriptions: PushSubscriptions;
  /** the enabled accounts of one grid worker (users.worker_id) */
  accountsOf: (workerId: string) => UserRecord[];
  /** what an account may see, as its sessions do */
  principal: (user: UserRecord) => Principal;
  vapid: VapidKeys;
  subject: string;
  log: Logger;
  /** tests: trust a local push service's certificate */
  agent?: https.Agent;
  timeoutMs?: number;
}

/** Push messages kept by the push service while the phone is away: a stale fire alarm is worse than a reminder. */
const TTL_S = { critical: 120, major: 600, minor: 3600, info: 3600 } as const;
/** A case runs for hours or days: a phone away for a while still gets it. */
const CASE_TTL_S = 12 * 3600;
const REMEMBERED = 10_000;
/** A VAPID JWT is good for 12 h; one per push service origin is signed again an hour before it runs out. */
const VAPID_LIFETIME_S = 12 * 3600;

/**
 * Web Push (RFC 8030, payload encrypted per RFC 8291, VAPID per RFC 8292) to every browser the
 * recipient's accounts subscribed, never to an account whose scope does not hold the alert.
 * Subscriptions the push service answers 404 or 410 for are removed. A retry resends only to the
 * browsers that have not taken the message yet.
 */
export class WebPushTransport implements PersonTransport {
  readonly channel = 'webpush';
  /** message key → subscriptions that took it (a retry skips them) */
  private readonly delivered = new Map<string, Set<string>>();
  private readonly vapidHeaders = new Map<string, { authorization: string; expiresAt: number }>();
  /** Kept-alive connections, a few per push service: a storm of thousands of pushes must not open thousands of TLS sessions. */
  private readonly agent: https.Agent;

  constructor(private readonly d: WebPushTransportDeps) {
    this.agent = d.agent ?? new https.Agent({ keepAlive: true, maxSockets: 16 });
  }

  stop(): void {
    if (!this.d.agent) this.agent.destroy();
  }

  /** The VAPID Authorization header for a push service (RFC 8292: the audience is its origin). */
  private authorization(endpoint: string): string {
    const audience = new URL(endpoint).origin;
    const now = Date.now() / 1000;
    const cached = this.vapidHeaders.get(audience);
    if (cached && cached.expiresAt - now > 3600) return cached.authorization;
    const expiresAt = Math.floor(now) + VAPID_LIFETIME_S;
    const { Authorization } = webpush.getVapidHeaders(audience, this.d.subject, this.d.vapid.publicKey, this.d.vapid.privateKey, 'aes128gcm', expiresAt);
    this.vapidHeaders.set(audience, { authorization: Authorization, expiresAt });
    return Authorization;
  }

  reachable(recipient: PersonRecipient): boolean {
    return this.d.subscriptions.hasAny(this.d.accountsOf(recipient.id).map((u) => u.username));
  }

  send(m: PersonMessage): Promise<SendResult> {
    const users = this.d.accountsOf(m.recipient.id).filter((u) => canSeeAlert(this.d.principal(u), m.alert));
    return this.push(m.key, users, JSON.stringify(pushPayload(m)), { TTL: TTL_S[m.alert.severity], urgency: m.alert.severity === 'critical' ? 'high' : 'normal', topic: m.alert.id });
  }

  /** A case: to the recipient's accounts whose scope holds the case's community and cell. */
  sendCase(m: CaseMessage): Promise<SendResult> {
    const users = this.d.accountsOf(m.recipient.id).filter((u) => canSeeAlert(this.d.principal(u), m.case));
    const late = m.change === 'overdue' || m.change === 'escalated';
    return this.push(m.key, users, JSON.stringify(casePushPayload(m)), { TTL: CASE_TTL_S, urgency: late ? 'high' : 'normal', topic: `case-${m.case.id}` });
  }

  private async push(key: string, users: UserRecord[], body: string, o: { TTL: number; urgency: 'high' | 'normal'; topic: string }): Promise<SendResult> {
    const subs = users.flatMap((u) => this.d.subscriptions.list(u.username));
    const done = this.delivered.get(key) ?? new Set<string>();
    const todo = subs.filter((s) => !done.has(s.id));
    if (!subs.length) return { ok: false, retry: false, error: 'no push subscription in scope' };
    let error = '';
    const results = await Promise.all(
      todo.map(async (s): Promise<'ok' | 'gone' | 'retry'> => {
        try {
          await webpush.sendNotification({ endpoint: s.endpoint, keys: s.keys }, body, {
            headers: { Authorization: this.authorization(s.endpoint) },
            TTL: o.TTL,
            urgency: o.urgency,
            topic: crypto.createHash('sha256').update(o.topic).digest('base64url').slice(0, 32),
            contentEncoding: 'aes128gcm',
            timeout: this.d.timeoutMs ?? 10_000,
            agent: this.agent,
          });
          this.d.subscriptions.delivered(s.id);
          done.add(s.id);
          return 'ok';
        } catch (err) {
          const status = err instanceof WebPushError ? err.statusCode : undefined;
          if (status === 404 || status === 410) {
            this.d.subscriptions.prune(s.id);
            this.d.log.info({ subscription: s.id, username: s.username, status }, 'push subscription gone: removed');
            return 'gone';
          }
          error = status ? `push service answered ${status}` : (err as Error).message;
          return 'retry';
        }
      }),
    );
    const ok = done.size > 0 || results.includes('ok');
    if (results.includes('retry')) {
      this.remember(key, done);
      return { ok: false, error };
    }
    this.delivered.delete(key);
    return ok ? { ok: true } : { ok: false, retry: false, error: 'every push subscription was gone' };
  }

  private remember(key: string, done: Set<string>): void {
    if (this.delivered.size >= REMEMBERED) this.delivered.delete(this.delivered.keys().next().value!);
    this.delivered.set(key, done);
  }
}
