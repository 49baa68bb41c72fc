// The WeCom app's callback URL (接收消息): URL verification (GET with an encrypted echostr) and
// encrypted event callbacks (POST, XML <Encrypt>), both signed with the app's callback token.
// A press of the card's acknowledge button acknowledges the alert as the person whose WeCom
// userid pressed it, then greys the button out through update_template_card.
import { decrypt, getSignature } from '@wecom/crypto';
import { XMLParser } from 'fast-xml-parser';
import { timingSafeEqual } from 'node:crypto';
import { RateLimitedLog, type Logger } from '../../../log.ts';
import type { Clock } from '../provider-http.ts';
import type { WeComApi } from './api.ts';
import { acknowledgedCardUpdate, alertIdOfKey } from './card.ts';

export type AcknowledgeFn = (alertId: string, personId: string, channel: 'wecom') => Promise<unknown>;

export interface WeComCallbackDeps {
  api: WeComApi;
  /** the callback settings of the app: token and EncodingAESKey */
  token: string;
  encodingAesKey: string;
  corpId: string;
  acknowledge: AcknowledgeFn;
  /** the hub's person for a WeCom userid (worker accounts.wecom) */
  personByWeComUser: (userid: string) => string | undefined;
  clock?: Clock;
  log?: Logger;
}

export type CallbackRefusal = 'missing_params' | 'bad_signature' | 'stale_timestamp' | 'bad_envelope' | 'not_decryptable' | 'wrong_corp';

export class CallbackRefused extends Error {
  constructor(
    readonly reason: CallbackRefusal,
    message: string,
  ) {
    super(message);
  }
}

export interface CallbackQuery {
  msg_signature?: string;
  timestamp?: string;
  nonce?: string;
  echostr?: string;
}

export type CallbackOutcome = 'acknowledged' | 'ack_failed' | 'unknown_user' | 'duplicate' | 'ignored';

/** WeCom retries a callback it got no answer to within 5 s; timestamps further off than this are refused. */
const MAX_SKEW_S = 300;
const parser = new XMLParser({ parseTagValue: false, trimValues: true, processEntities: false });

export class WeComCallback {
  /** recent (user, response code) pairs already handled: WeCom retries the same event up to 3 times */
  private readonly seen = new Map<string, number>();
  readonly refused = new Map<CallbackRefusal, number>();
  private readonly refusalLog: RateLimitedLog | undefined;

  constructor(private readonly deps: WeComCallbackDeps) {
    this.refusalLog = deps.log ? new RateLimitedLog(deps.log, 10_000, deps.clock ?? Date.now) : undefined;
  }

  /** GET: answers the decrypted echostr when the signature holds. */
  verifyUrl(q: CallbackQuery): string {
    if (!q.echostr) throw this.refuse('missing_params', 'echostr missing');
    this.checkSignature(q, q.echostr);
    return this.open(q.echostr);
  }

  /** POST: checks, decrypts and acts on one callback. Throws CallbackRefused before acting on anything doubtful. */
  async handle(q: CallbackQuery, body: string): Promise<CallbackOutcome> {
    const encrypted = envelopeOf(body);
    if (!encrypted) throw this.refuse('bad_envelope', 'no <Encrypt> in the callback body');
    this.checkSignature(q, encrypted);
    const event = xmlFields(this.open(encrypted));
    if (!event) throw this.refuse('bad_envelope', 'decrypted callback is not XML');
    if (event.MsgType !== 'event' || event.Event !== 'template_card_event') return 'ignored';
    const alertId = alertIdOfKey(event.EventKey ?? '');
    const userid = event.FromUserName;
    if (!alertId || !userid) return 'ignored';
    const dedupKey = `${userid}|${event.ResponseCode ?? event.TaskId ?? ''}|${event.CreateTime ?? ''}`;
    if (this.seenRecently(dedupKey)) return 'duplicate';
    const personId = this.deps.personByWeComUser(userid);
    if (!personId) {
      this.deps.log?.warn({ userid }, 'WeCom button pressed by a userid no worker has');
      return 'unknown_user';
    }
    try {
      await this.deps.acknowledge(alertId, personId, 'wecom');
    } catch (err) {
      this.deps.log?.warn({ alertId, personId, err: (err as Error).message }, 'acknowledgement from WeCom failed');
      return 'ack_failed';
    }
    if (event.ResponseCode) {
      await this.deps.api.updateTemplateCard(acknowledgedCardUpdate(userid, event.ResponseCode)).catch((err: Error) => {
        this.deps.log?.warn({ alertId, err: err.message }, 'WeCom card update failed');
      });
    }
    return 'acknowledged';
  }

  private checkSignature(q: CallbackQuery, encrypted: string): void {
    const { msg_signature: signature, timestamp, nonce } = q;
    if (!signature || !timestamp || !nonce) throw this.refuse('missing_params', 'msg_signature, timestamp and nonce are required');
    const expected = Buffer.from(getSignature(this.deps.token, timestamp, nonce, encrypted));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw this.refuse('bad_signature', 'msg_signature does not match');
    const now = (this.deps.clock ?? Date.now)() / 1000;
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now - Number(timestamp)) > MAX_SKEW_S) throw this.refuse('stale_timestamp', 'timestamp too far from now');
  }

  private open(encrypted: string): string {
    let opened: { message: string; id: string };
    try {
      opened = decrypt(this.deps.encodingAesKey, encrypted);
    } catch {
      throw this.refuse('not_decryptable', 'cannot decrypt with the configured EncodingAESKey');
    }
    if (opened.id !== this.deps.corpId) throw this.refuse('wrong_corp', 'encrypted for another corp');
    return opened.message;
  }

  private seenRecently(key: string): boolean {
    const now = (this.deps.clock ?? Date.now)();
    for (const [k, at] of this.seen) if (now - at > 10 * 60_000) this.seen.delete(k);
    if (this.seen.has(key)) return true;
    this.seen.set(key, now);
    return false;
  }

  private refuse(reason: CallbackRefusal, message: string): CallbackRefused {
    this.refused.set(reason, (this.refused.get(reason) ?? 0) + 1);
    this.refusalLog?.warn(`wecom_callback_${reason}`, { reason, refusedSoFar: this.refused.get(reason) }, `WeCom callback refused: ${message}`);
    return new CallbackRefused(reason, message);
  }
}

function xmlFields(text: string): Record<string, string> | undefined {
  try {
    const doc = parser.parse(text) as { xml?: Record<string, unknown> };
    if (!doc.xml || typeof doc.xml !== 'object') return undefined;
    return Object.fromEntries(Object.entries(doc.xml).map(([k, v]) => [k, String(v)]));
  } catch {
    return undefined;
  }
}

function envelopeOf(body: string): string | undefined {
  const fields = xmlFields(body);
  const enc = fields?.Encrypt;
  return enc && /^[A-Za-z0-9+/=]+$/.test(enc) ? enc : undefined;
}
