// DingTalk (钉钉) server API: the app's access token from the current OAuth2 endpoint
// (POST api.dingtalk.com/v1.0/oauth2/accessToken with appKey/appSecret, valid `expireIn` s),
// used on the oapi endpoints (?access_token=) that still carry work notifications.
import type { DingTalkConfig } from '../provider-config.ts';
import { ErrcodeApi, ProviderError, requestJson, TokenCache, type Clock, type Fetch } from '../provider-http.ts';

export interface DingTalkApiDeps {
  fetch?: Fetch;
  clock?: Clock;
}

export class DingTalkApi {
  private readonly oapi: ErrcodeApi;

  constructor(
    readonly config: Pick<DingTalkConfig, 'appKey' | 'appSecret' | 'agentId' | 'apiBaseUrl' | 'oapiBaseUrl'>,
    deps: DingTalkApiDeps = {},
  ) {
    const fetchFn = deps.fetch ?? fetch;
    const tokens = new TokenCache(async () => {
      let res: Record<string, unknown>;
      try {
        res = await requestJson(fetchFn, `${config.apiBaseUrl}/v1.0/oauth2/accessToken`, { method: 'POST', body: { appKey: config.appKey, appSecret: config.appSecret } });
      } catch (err) {
        // 400 invalidClientIdOrSecret and friends: the config is wrong, trying again will not help.
        if (err instanceof ProviderError && err.status !== undefined && err.status < 500 && err.status !== 429) throw new ProviderError(`accessToken: ${err.message}`, false, err.status, err.code);
        throw err;
      }
      if (typeof res.accessToken !== 'string') throw new ProviderError('accessToken: answer without accessToken', true, 200);
      return { token: res.accessToken, expiresInS: Number(res.expireIn ?? 7200) };
    }, deps.clock ?? Date.now);
    this.oapi = new ErrcodeApi(fetchFn, config.oapiBaseUrl, tokens);
  }

  /** POST /topapi/message/corpconversation/asyncsend_v2: a work notification; answers its task_id. */
  async sendWorkNotification(userids: string[], msg: Record<string, unknown>): Promise<string> {
    const res = await this.oapi.post('/topapi/message/corpconversation/asyncsend_v2', { agent_id: this.config.agentId, userid_list: userids.join(','), msg });
    return String(res.task_id ?? '');
  }

  /** POST /topapi/message/corpconversation/getsendresult: who got, read or was refused a notification. */
  async sendResult(taskId: string): Promise<Record<string, unknown>> {
    const res = await this.oapi.post('/topapi/message/corpconversation/getsendresult', { agent_id: this.config.agentId, task_id: Number(taskId) });
    return (res.send_result as Record<string, unknown> | undefined) ?? {};
  }
}
