// Aliyun adapters on the official SDKs: SMS through @alicloud/dysmsapi20170525 (SendSms) and
// voice through the same OpenAPI core (Dyvmsapi SingleCallByTts via callApi, no separate SDK).
// Both sign with ACS3-HMAC-SHA256; `endpoint`/`protocol` point them at a local server in tests.
import Dysmsapi, * as $Dysmsapi from '@alicloud/dysmsapi20170525';
import OpenApi, { $OpenApiUtil, OpenApiUtil } from '@alicloud/openapi-core';
// The SDKs' own runtime (a dependency of both, not of this project directly).
import { RuntimeOptions } from '@darabonba/typescript';
import type { AliyunConfig, SmsConfig, VoiceConfig } from '../provider-config.ts';
import type { SendResult } from '../transport.ts';
import type { SmsProvider, VoiceProvider } from './provider.ts';

/** The SDKs are CommonJS with `exports.default`: Node hands the module object, bundlers and vitest the class. */
function cjsDefault<T>(mod: { default: T }): T {
  return (mod as { default?: T }).default ?? (mod as unknown as T);
}
const SmsClient = cjsDefault(Dysmsapi);
const OpenApiClient = cjsDefault(OpenApi);

/** Answer codes that are worth trying again later (rate control, the platform's own faults). */
const RETRY_CODES = /^(isv\.BUSINESS_LIMIT_CONTROL|isv\.DAY_LIMIT_CONTROL|isp\.|Throttling|ServiceUnavailable|InternalError)/;

function openApiConfig(c: AliyunConfig, defaultEndpoint: string): $OpenApiUtil.Config {
  return new $OpenApiUtil.Config({
    accessKeyId: c.accessKeyId,
    accessKeySecret: c.accessKeySecret,
    endpoint: c.endpoint ?? defaultEndpoint,
    protocol: c.protocol,
    regionId: c.regionId,
    connectTimeout: 5000,
    readTimeout: 10_000,
  });
}

/** How a thrown SDK error (HTTP 4xx/5xx, network) reads to the outbox. */
function thrown(err: unknown): SendResult {
  const e = err as { statusCode?: number; code?: string; message?: string };
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const retry = status === undefined || status >= 500 || status === 429 || RETRY_CODES.test(e.code ?? '');
  return { ok: false, retry, error: `${e.code ?? 'error'}: ${e.message ?? String(err)}`, ...(status === undefined ? {} : { status }) };
}

/** How a 200 answer with its own Code reads. */
function answered(code: string | undefined, message: string | undefined, id: string | undefined): SendResult {
  if (code === 'OK') return { ok: true, status: 200, ...(id ? { providerMessageId: id } : {}) };
  return { ok: false, status: 200, retry: RETRY_CODES.test(code ?? ''), error: `${code ?? 'no Code'}: ${message ?? ''}` };
}

export class AliyunSms implements SmsProvider {
  readonly name = 'aliyun';
  private readonly client: Dysmsapi.default;

  constructor(private readonly config: SmsConfig) {
    this.client = new SmsClient(openApiConfig(config, 'dysmsapi.aliyuncs.com'));
  }

  async sendSms(phone: string, params: Record<string, string>, outId: string): Promise<SendResult> {
    const req = new $Dysmsapi.SendSmsRequest({
      phoneNumbers: phone,
      signName: this.config.signName,
      templateCode: this.config.templateCode,
      templateParam: JSON.stringify(params),
      outId,
    });
    try {
      const res = await this.client.sendSms(req);
      return answered(res.body?.code, res.body?.message, res.body?.bizId);
    } catch (err) {
      return thrown(err);
    }
  }
}

export class AliyunVoice implements VoiceProvider {
  readonly name = 'aliyun';
  private readonly client: OpenApi.default;

  constructor(private readonly config: VoiceConfig) {
    this.client = new OpenApiClient(openApiConfig(config, 'dyvmsapi.aliyuncs.com'));
  }

  async call(phone: string, params: Record<string, string>, outId: string): Promise<SendResult> {
    const query = {
      CalledShowNumber: this.config.calledShowNumber,
      CalledNumber: phone,
      TtsCode: this.config.ttsCode,
      TtsParam: JSON.stringify(params),
      PlayTimes: String(this.config.playTimes),
      OutId: outId,
    };
    const params$ = new $OpenApiUtil.Params({
      action: 'SingleCallByTts',
      version: '2017-05-25',
      protocol: 'HTTPS',
      pathname: '/',
      method: 'POST',
      authType: 'AK',
      style: 'RPC',
      reqBodyType: 'formData',
      bodyType: 'json',
    });
    try {
      const res = (await this.client.callApi(params$, new $OpenApiUtil.OpenApiRequest({ query: OpenApiUtil.query(query) }), new RuntimeOptions({}))) as {
        body?: { Code?: string; Message?: string; CallId?: string };
      };
      return answered(res.body?.Code, res.body?.Message, res.body?.CallId);
    } catch (err) {
      return thrown(err);
    }
  }
}
