// WeCom application messages to each worker's own WeCom userid (accounts.wecom): a template card
// whose button acknowledges the alert (the press comes back through the callback URL, callback.ts).
import type { Logger } from '../../../log.ts';
import type { WeComConfig } from '../provider-config.ts';
import { failure, type Clock, type Fetch } from '../provider-http.ts';
import { StormMerger } from '../member-rate.ts';
import type { CaseMessage, PersonMessage, PersonRecipient, PersonTransport, SendResult } from '../transport.ts';
import { WeComApi } from './api.ts';
import { WeComCallback, type AcknowledgeFn } from './callback.ts';
import { acknowledgedCardUpdate, caseCardMessage, mergedTextMessage, templateCardMessage } from './card.ts';

/** WeCom accepts a card's response_code for 72 hours, once. */
const RESPONSE_CODE_TTL_MS = 72 * 3600_000;

export interface WeComTransportDeps {
  fetch?: Fetch;
  clock?: Clock;
  log?: Logger;
  /** how often held (merged) messages are tried; default 5 s */
  flushIntervalMs?: number;
  /** what a press of a card's acknowledge button does (with `config.callback`: serve `callback`) */
  buttons?: { acknowledge: AcknowledgeFn; personByWeComUser: (userid: string) => string | undefined };
}

export class WeComTransport implements PersonTransport {
  readonly channel = 'wecom' as const;
  readonly api: WeComApi;
  /** the callback URL handler (/api/wecom/callback), when the app's callback token and key are configured */
  readonly callback: WeComCallback | undefined;
  private readonly merger: StormMerger;
  /** the cards sent for each alert, to grey their buttons out once it is acknowledged anywhere */
  private readonly cards = new Map<string, { userid: string; responseCode: string; at: number }[]>();
  private readonly clock: Clock;

  constructor(
    config: WeComConfig,
    private readonly deps: WeComTransportDeps = {},
  ) {
    this.api = new WeComApi(config, deps);
    this.clock = deps.clock ?? Date.now;
    this.merger = new StormMerger({
      perMinute: config.perMemberPerMinute,
      clock: this.clock,
      provider: 'WeCom',
      sendSummary: async (member, messages) => sentResult(await this.api.send(mergedTextMessage(messages, member)), member),
      ...(deps.flushIntervalMs ? { flushIntervalMs: deps.flushIntervalMs } : {}),
      ...(deps.log ? { log: deps.log } : {}),
    });
    this.callback =
      config.callback && deps.buttons
        ? new WeComCallback({
            api: this.api,
            token: config.callback.token,
            encodingAesKey: config.callback.encodingAesKey,
            corpId: config.corpId,
            ...deps.buttons,
            clock: this.clock,
            ...(deps.log ? { log: deps.log } : {}),
          })
        : undefined;
  }

  start(): void {
    this.merger.start();
  }

  stop(): Promise<void> {
    return this.merger.stop();
  }

  reachable(recipient: PersonRecipient): boolean {
    return Boolean(recipient.accounts?.wecom);
  }

  /**
   * Sends the card now, or (a non-critical message over the member's rate) holds it for the next
   * summary and answers ok with status 202: it is accepted, and goes out merged.
   */
  async send(m: PersonMessage): Promise<SendResult> {
    const userid = m.recipient.accounts?.wecom;
    if (!userid) return { ok: false, retry: false, error: 'no WeCom userid for this person' };
    if (!this.merger.admit(userid, m)) return { ok: true, status: 202 };
    try {
      const res = await this.api.send(templateCardMessage(m, userid));
      const result = sentResult(res, userid);
      if (result.ok && typeof res.response_code === 'string') this.remember(m.alert.id, userid, res.response_code);
      return result;
    } catch (err) {
      return failure(err);
    }
  }

  /** A case's card, sent now (cases come a few a day: the storm merger is for alerts). */
  async sendCase(m: CaseMessage): Promise<SendResult> {
    const userid = m.recipient.accounts?.wecom;
    if (!userid) return { ok: false, retry: false, error: 'no WeCom userid for this person' };
    try {
      return sentResult(await this.api.send(caseCardMessage(m, userid)), userid);
    } catch (err) {
      return failure(err);
    }
  }

  /** Sends one summary to each member with held messages whose window has room again. */
  flush(): Promise<void> {
    return this.merger.flush();
  }

  /**
   * The alert was acknowledged (on any channel): every card sent for it shows so, with who.
   * Call it from the people channel when the ladder stops.
   */
  async acknowledged(alertId: string, by?: string): Promise<void> {
    const cards = this.cards.get(alertId) ?? [];
    this.cards.delete(alertId);
    const fresh = cards.filter((c) => this.clock() - c.at < RESPONSE_CODE_TTL_MS);
    await Promise.all(
      fresh.map((c) =>
        this.api.updateTemplateCard(acknowledgedCardUpdate(c.userid, c.responseCode, by)).catch((err: Error) => {
          this.deps.log?.warn({ alertId, userid: c.userid, err: err.message }, 'WeCom card update failed');
        }),
      ),
    );
  }

  private remember(alertId: string, userid: string, responseCode: string): void {
    const now = this.clock();
    // Forget cards WeCom no longer lets us update.
    for (const [id, list] of this.cards) if (list.every((c) => now - c.at >= RESPONSE_CODE_TTL_MS)) this.cards.delete(id);
    const list = this.cards.get(alertId) ?? [];
    list.push({ userid, responseCode, at: now });
    this.cards.set(alertId, list);
  }

  /** held (merged, not yet sent) messages */
  get held(): number {
    return this.merger.held;
  }
}

function sentResult(res: Record<string, unknown>, userid: string): SendResult {
  // WeCom answers errcode 0 with the user listed in `invaliduser` when the userid is unknown.
  const invalid = String(res.invaliduser ?? '').split('|');
  if (invalid.includes(userid)) return { ok: false, retry: false, status: 200, error: `WeCom does not know userid ${userid}` };
  return { ok: true, status: 200, ...(typeof res.msgid === 'string' ? { providerMessageId: res.msgid } : {}) };
}
