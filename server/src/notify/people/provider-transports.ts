// Builds the provider transports the `providers:` config section asks for, with their callback
// halves (WeCom callback URL handler, DingTalk Stream connection), for the people channel to use.
import type { Logger } from '../../log.ts';
import { DingTalkStream } from './dingtalk/stream.ts';
import { DingTalkTransport } from './dingtalk/transport.ts';
import type { ProvidersConfig } from './provider-config.ts';
import type { Clock, Fetch } from './provider-http.ts';
import { AliyunSms, AliyunVoice } from './sms/aliyun.ts';
import { SmsTransport, VoiceTransport } from './sms/transport.ts';
import type { PersonRecipient, PersonTransport } from './transport.ts';
import { WeComCallback } from './wecom/callback.ts';
import { WeComTransport } from './wecom/transport.ts';

export interface ProviderTransportDeps {
  /** acknowledges as the person, recording the channel in the audit (the alert service's acknowledge) */
  acknowledge: (alertId: string, personId: string, channel: 'wecom' | 'dingtalk') => Promise<unknown>;
  /** the configured people with their accounts, to map a provider's userid back to a person */
  people: () => readonly PersonRecipient[];
  fetch?: Fetch;
  clock?: Clock;
  log?: Pick<Logger, 'warn' | 'info'>;
}

export interface ProviderTransports {
  transports: PersonTransport[];
  /** hand to buildApp({ wecomCallback }) to serve /api/wecom/callback */
  wecomCallback?: WeComCallback;
  dingtalkStream?: DingTalkStream;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function buildProviderTransports(config: ProvidersConfig, deps: ProviderTransportDeps): ProviderTransports {
  const transports: PersonTransport[] = [];
  const io = { ...(deps.fetch ? { fetch: deps.fetch } : {}), ...(deps.clock ? { clock: deps.clock } : {}) };
  let wecomCallback: WeComCallback | undefined;
  let dingtalkStream: DingTalkStream | undefined;
  if (config.wecom) {
    const wecom = new WeComTransport(config.wecom, { ...io, ...(deps.log ? { log: deps.log } : {}) });
    transports.push(wecom);
    if (config.wecom.callback) {
      wecomCallback = new WeComCallback({
        api: wecom.api,
        token: config.wecom.callback.token,
        encodingAesKey: config.wecom.callback.encodingAesKey,
        corpId: config.wecom.corpId,
        acknowledge: deps.acknowledge,
        personByWeComUser: (u) => deps.people().find((p) => p.accounts?.wecom === u)?.id,
        ...(deps.clock ? { clock: deps.clock } : {}),
        ...(deps.log ? { log: deps.log } : {}),
      });
    }
  }
  if (config.dingtalk) {
    transports.push(new DingTalkTransport(config.dingtalk, io));
    if (config.dingtalk.stream) {
      dingtalkStream = new DingTalkStream(config.dingtalk, {
        acknowledge: deps.acknowledge,
        personByDingTalkUser: (u) => deps.people().find((p) => p.accounts?.dingtalk === u)?.id,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
        ...(deps.log ? { log: deps.log } : {}),
      });
    }
  }
  if (config.sms) transports.push(new SmsTransport(new AliyunSms(config.sms)));
  if (config.voice) transports.push(new VoiceTransport(new AliyunVoice(config.voice)));
  return {
    transports,
    ...(wecomCallback ? { wecomCallback } : {}),
    ...(dingtalkStream ? { dingtalkStream } : {}),
    async start() {
      for (const t of transports) await t.start?.();
      await dingtalkStream?.start();
    },
    async stop() {
      dingtalkStream?.stop();
      for (const t of transports) await t.stop?.();
    },
  };
}
