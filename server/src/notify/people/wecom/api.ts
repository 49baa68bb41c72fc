// WeCom (企业微信) server API: an access token from `gettoken` (corpid + corpsecret), cached until
// `expires_in` and fetched again when an answer says it is invalid (40014) or expired (42001).
import type { WeComConfig } from '../provider-config.ts';
import { ErrcodeApi, ProviderError, requestJson, TokenCache, type Clock, type Fetch } from '../provider-http.ts';

export interface WeComApiDeps {
  fetch?: Fetch;
  clock?: Clock;
}

export class WeComApi {
  private readonly api: ErrcodeApi;

  constructor(
    readonly config: Pick<WeComConfig, 'corpId' | 'corpSecret' | 'agentId' | 'baseUrl'>,
    deps: WeComApiDeps = {},
  ) {
    const fetchFn = deps.fetch ?? fetch;
    const tokens = new TokenCache(async () => {
      const q = new URLSearchParams({ corpid: config.corpId, corpsecret: config.corpSecret });
      const res = await requestJson(fetchFn, `${config.baseUrl}/cgi-bin/gettoken?${q}`);
      const code = Number(res.errcode ?? 0);
      if (code !== 0 || typeof res.access_token !== 'string') {
        // 40013 bad corpid / 40001 bad secret: a config mistake, not worth hammering the API for.
        throw new ProviderError(`gettoken: errcode ${code} ${String(res.errmsg ?? '')}`.trim(), code === -1, 200, code);
      }
      return { token: res.access_token, expiresInS: Number(res.expires_in ?? 7200) };
    }, deps.clock ?? Date.now);
    this.api = new ErrcodeApi(fetchFn, config.baseUrl, tokens);
  }

  /** POST /cgi-bin/message/send */
  send(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.api.post('/cgi-bin/message/send', { agentid: this.config.agentId, ...body });
  }

  /** POST /cgi-bin/message/update_template_card */
  updateTemplateCard(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.api.post('/cgi-bin/message/update_template_card', { agentid: this.config.agentId, ...body });
  }
}
