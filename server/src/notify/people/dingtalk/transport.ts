// DingTalk work notifications (工作通知) to each worker's own DingTalk userid (accounts.dingtalk).
import type { DingTalkConfig } from '../provider-config.ts';
import { failure, type Clock, type Fetch } from '../provider-http.ts';
import type { PersonMessage, PersonRecipient, PersonTransport, SendResult } from '../transport.ts';
import { DingTalkApi } from './api.ts';
import { actionCardMessage } from './card.ts';
import { DingTalkStream, type DingTalkStreamDeps } from './stream.ts';

export interface DingTalkTransportDeps {
  fetch?: Fetch;
  clock?: Clock;
  /** what an interactive card's ack button does; with `config.stream` the transport keeps a Stream connection for it */
  buttons?: Omit<DingTalkStreamDeps, 'fetch'>;
}

export class DingTalkTransport implements PersonTransport {
  readonly channel = 'dingtalk' as const;
  readonly api: DingTalkApi;
  /** the Stream-mode connection for callbacks, when `config.stream` */
  readonly stream: DingTalkStream | undefined;
  private readonly clock: Clock;

  constructor(config: DingTalkConfig, deps: DingTalkTransportDeps = {}) {
    this.api = new DingTalkApi(config, deps);
    this.clock = deps.clock ?? Date.now;
    this.stream = config.stream && deps.buttons ? new DingTalkStream(config, { ...deps.buttons, ...(deps.fetch ? { fetch: deps.fetch } : {}) }) : undefined;
  }

  async start(): Promise<void> {
    await this.stream?.start();
  }

  stop(): void {
    this.stream?.stop();
  }

  reachable(recipient: PersonRecipient): boolean {
    return Boolean(recipient.accounts?.dingtalk);
  }

  /** Accepted by DingTalk (it delivers asynchronously); providerMessageId is the task_id. */
  async send(m: PersonMessage): Promise<SendResult> {
    const userid = m.recipient.accounts?.dingtalk;
    if (!userid) return { ok: false, retry: false, error: 'no DingTalk userid for this person' };
    try {
      const taskId = await this.api.sendWorkNotification([userid], actionCardMessage(m, this.clock()));
      return { ok: true, status: 200, ...(taskId ? { providerMessageId: taskId } : {}) };
    } catch (err) {
      return failure(err);
    }
  }
}
