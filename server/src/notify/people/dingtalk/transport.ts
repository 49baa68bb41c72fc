// DingTalk work notifications (工作通知) to each worker's own DingTalk userid (accounts.dingtalk).
import type { DingTalkConfig } from '../provider-config.ts';
import { failure, type Clock, type Fetch } from '../provider-http.ts';
import type { CaseMessage, PersonMessage, PersonRecipient, PersonTransport, SendResult } from '../transport.ts';
import { DingTalkApi } from './api.ts';
import { actionCardMessage, caseActionCard, mergedActionCard } from './card.ts';
import { StormMerger } from '../member-rate.ts';
import { DingTalkStream, type DingTalkStreamDeps } from './stream.ts';

export interface DingTalkTransportDeps {
  fetch?: Fetch;
  clock?: Clock;
  /** what an interactive card's ack button does; with `config.stream` the transport keeps a Stream connection for it */
  buttons?: Omit<DingTalkStreamDeps, 'fetch'>;
  /** how often held (merged) messages are tried; default 5 s */
  flushIntervalMs?: number;
}

export class DingTalkTransport implements PersonTransport {
  readonly channel = 'dingtalk' as const;
  readonly api: DingTalkApi;
  /** the Stream-mode connection for callbacks, when `config.stream` */
  readonly stream: DingTalkStream | undefined;
  private readonly clock: Clock;
  private readonly merger: StormMerger;
  private readonly log: DingTalkStreamDeps['log'];

  constructor(config: DingTalkConfig, deps: DingTalkTransportDeps = {}) {
    this.api = new DingTalkApi(config, deps);
    this.clock = deps.clock ?? Date.now;
    this.log = deps.buttons?.log;
    this.merger = new StormMerger({
      perMinute: config.perMemberPerMinute,
      clock: this.clock,
      provider: 'DingTalk',
      sendSummary: async (member, messages) => {
        const taskId = await this.api.sendWorkNotification([member], mergedActionCard(messages, this.clock()));
        return { ok: true, status: 200, providerMessageId: taskId };
      },
      ...(deps.flushIntervalMs ? { flushIntervalMs: deps.flushIntervalMs } : {}),
      ...(deps.buttons?.log ? { log: deps.buttons.log } : {}),
    });
    this.stream = config.stream && deps.buttons ? new DingTalkStream(config, { ...deps.buttons, ...(deps.fetch ? { fetch: deps.fetch } : {}) }) : undefined;
  }

  start(): void {
    this.merger.start();
    // The Stream connection retries by itself; the hub's start does not wait for DingTalk.
    void this.stream?.start().catch((err: Error) => this.log?.warn({ err: err.message }, 'DingTalk Stream did not start'));
  }

  async stop(): Promise<void> {
    this.stream?.stop();
    await this.merger.stop();
  }

  /** Sends one summary to each member with held messages whose window has room again. */
  flush(): Promise<void> {
    return this.merger.flush();
  }

  /** held (merged, not yet sent) messages */
  get held(): number {
    return this.merger.held;
  }

  reachable(recipient: PersonRecipient): boolean {
    return Boolean(recipient.accounts?.dingtalk);
  }

  /** Accepted by DingTalk (it delivers asynchronously); providerMessageId is the task_id. */
  async send(m: PersonMessage): Promise<SendResult> {
    const userid = m.recipient.accounts?.dingtalk;
    if (!userid) return { ok: false, retry: false, error: 'no DingTalk userid for this person' };
    // Over the member's budget a non-critical message is held and goes out merged (status 202).
    if (!this.merger.admit(userid, m)) return { ok: true, status: 202 };
    try {
      const taskId = await this.api.sendWorkNotification([userid], actionCardMessage(m, this.clock()));
      return { ok: true, status: 200, ...(taskId ? { providerMessageId: taskId } : {}) };
    } catch (err) {
      return failure(err);
    }
  }

  /** A case's work notification, sent now (the storm merger is for alerts). */
  async sendCase(m: CaseMessage): Promise<SendResult> {
    const userid = m.recipient.accounts?.dingtalk;
    if (!userid) return { ok: false, retry: false, error: 'no DingTalk userid for this person' };
    try {
      const taskId = await this.api.sendWorkNotification([userid], caseActionCard(m, this.clock()));
      return { ok: true, status: 200, ...(taskId ? { providerMessageId: taskId } : {}) };
    } catch (err) {
      return failure(err);
    }
  }
}
