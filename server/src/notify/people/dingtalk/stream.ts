// DingTalk Stream mode (dingtalk-stream): the hub opens an outgoing WebSocket to DingTalk, so
// callbacks need no public URL. It listens for interactive-card button callbacks: a button with
// action id "ack" and param alertId acknowledges that alert as the pressing DingTalk user.
// dingtalk-stream hard-codes its gateway (api.dingtalk.com); getEndpoint() is overridden so the
// gateway follows the configured apiBaseUrl and the injected fetch (tests use a local gateway).
import { DWClient, TOPIC_CARD, type DWClientDownStream } from 'dingtalk-stream';
import type { Logger } from '../../../log.ts';
import type { DingTalkConfig } from '../provider-config.ts';
import { isObject, ProviderError, requestJson, type Fetch } from '../provider-http.ts';

export type DingTalkAcknowledgeFn = (alertId: string, personId: string, channel: 'dingtalk') => Promise<unknown>;

export interface DingTalkStreamDeps {
  acknowledge: DingTalkAcknowledgeFn;
  /** the hub's person for a DingTalk userid (worker accounts.dingtalk) */
  personByDingTalkUser: (userid: string) => string | undefined;
  fetch?: Fetch;
  log?: Pick<Logger, 'warn' | 'info'>;
}

export type CardCallbackOutcome = 'acknowledged' | 'ack_failed' | 'unknown_user' | 'duplicate' | 'ignored';

class ConfigurableGatewayClient extends DWClient {
  constructor(
    opts: { clientId: string; clientSecret: string },
    private readonly gatewayUrl: string,
    private readonly fetchFn: Fetch,
  ) {
    super({ ...opts, keepAlive: true });
  }

  override async getEndpoint(): Promise<this> {
    const { clientId, clientSecret, ua, subscriptions } = this.config;
    const res = await requestJson(this.fetchFn, this.gatewayUrl, { method: 'POST', body: { clientId, clientSecret, ua, subscriptions } });
    if (typeof res.endpoint !== 'string' || typeof res.ticket !== 'string') throw new ProviderError('stream gateway answered without endpoint and ticket', true);
    // dw_url is the client's own connect address (private in its typings).
    (this as unknown as { dw_url: string }).dw_url = `${res.endpoint}?ticket=${encodeURIComponent(res.ticket)}`;
    return this;
  }
}

export class DingTalkStream {
  private client: ConfigurableGatewayClient | undefined;
  private readonly seen = new Set<string>();
  /** outcomes of card callbacks, for tests and logs */
  readonly outcomes: CardCallbackOutcome[] = [];

  constructor(
    private readonly config: Pick<DingTalkConfig, 'appKey' | 'appSecret' | 'apiBaseUrl'>,
    private readonly deps: DingTalkStreamDeps,
  ) {}

  async start(): Promise<void> {
    const client = new ConfigurableGatewayClient(
      { clientId: this.config.appKey, clientSecret: this.config.appSecret },
      `${this.config.apiBaseUrl}/v1.0/gateway/connections/open`,
      this.deps.fetch ?? fetch,
    );
    client.registerCallbackListener(TOPIC_CARD, (msg: DWClientDownStream) => {
      void this.onCardCallback(msg).then(
        (outcome) => this.answer(msg, outcome),
        (err: Error) => this.deps.log?.warn({ err: err.message }, 'DingTalk card callback failed'),
      );
    });
    this.client = client;
    // connect() retries by itself while the gateway is unreachable; `connected` tells.
    await client.connect();
  }

  stop(): void {
    this.client?.disconnect();
    this.client = undefined;
  }

  get connected(): boolean {
    return Boolean(this.client?.connected);
  }

  private async onCardCallback(msg: DWClientDownStream): Promise<CardCallbackOutcome> {
    const id = msg.headers.messageId;
    if (this.seen.has(id)) return 'duplicate';
    this.seen.add(id);
    if (this.seen.size > 1000) this.seen.delete(this.seen.values().next().value as string);
    const data = parseJson(msg.data);
    const content = parseJson(typeof data?.content === 'string' ? data.content : undefined);
    const priv = isObject(content?.cardPrivateData) ? content.cardPrivateData : undefined;
    const actions = Array.isArray(priv?.actionIds) ? priv.actionIds : [];
    const alertId = isObject(priv?.params) ? priv.params.alertId : undefined;
    const userid = data?.userId;
    if (!actions.includes('ack') || typeof alertId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(alertId) || typeof userid !== 'string') return 'ignored';
    const personId = this.deps.personByDingTalkUser(userid);
    if (!personId) return 'unknown_user';
    try {
      await this.deps.acknowledge(alertId, personId, 'dingtalk');
      return 'acknowledged';
    } catch (err) {
      this.deps.log?.warn({ alertId, personId, err: (err as Error).message }, 'acknowledgement from DingTalk failed');
      return 'ack_failed';
    }
  }

  /** Answers the frame (else DingTalk pushes it again); an acknowledged card shows so to the presser. */
  private answer(msg: DWClientDownStream, outcome: CardCallbackOutcome): void {
    this.outcomes.push(outcome);
    const result = outcome === 'acknowledged' ? { userPrivateData: { cardParamMap: { acknowledged: 'true', ackLabel: '已确认 Acknowledged' } } } : {};
    this.client?.socketCallBackResponse(msg.headers.messageId, result);
  }
}

function parseJson(text: string | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
