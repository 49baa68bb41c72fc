// Builds the provider transports the `providers:` config section asks for (WeCom, DingTalk, SMS,
// voice), their callback halves included (the WeCom callback URL handler, the DingTalk Stream
// connection, both owned by their transport), for the people delivery to register.
import type { Logger } from '../../log.ts';
import { DingTalkTransport } from './dingtalk/transport.ts';
import type { ProvidersConfig } from './provider-config.ts';
import type { Clock, Fetch } from './provider-http.ts';
import { AliyunSms, AliyunVoice } from './sms/aliyun.ts';
import { SmsTransport, VoiceTransport } from './sms/transport.ts';
import type { PersonRecipient, PersonTransport } from './transport.ts';
import type { WeComCallback } from './wecom/callback.ts';
import { WeComTransport } from './wecom/transport.ts';

export interface ProviderTransportDeps {
  /** acknowledges as the person, recording the channel (the people delivery's acknowledge) */
  acknowledge: (alertId: string, personId: string, channel: 'wecom' | 'dingtalk') => Promise<unknown>;
  /** the configured people with their accounts, to map a provider's userid back to a person */
  people: () => readonly PersonRecipient[];
  fetch?: Fetch;
  clock?: Clock;
  log?: Logger;
}

export function buildProviderTransports(config: ProvidersConfig, deps: ProviderTransportDeps): PersonTransport[] {
  const transports: PersonTransport[] = [];
  const io = { ...(deps.fetch ? { fetch: deps.fetch } : {}), ...(deps.clock ? { clock: deps.clock } : {}) };
  if (config.wecom) {
    transports.push(
      new WeComTransport(config.wecom, {
        ...io,
        ...(deps.log ? { log: deps.log } : {}),
        buttons: { acknowledge: deps.acknowledge, personByWeComUser: (u) => deps.people().find((p) => p.accounts?.wecom === u)?.id },
      }),
    );
  }
  if (config.dingtalk) {
    transports.push(
      new DingTalkTransport(config.dingtalk, {
        ...io,
        buttons: { acknowledge: deps.acknowledge, personByDingTalkUser: (u) => deps.people().find((p) => p.accounts?.dingtalk === u)?.id, ...(deps.log ? { log: deps.log } : {}) },
      }),
    );
  }
  if (config.sms) transports.push(new SmsTransport(new AliyunSms(config.sms)));
  if (config.voice) transports.push(new VoiceTransport(new AliyunVoice(config.voice)));
  return transports;
}

/** The WeCom callback URL handler of a registered WeCom transport, for buildApp({ wecomCallback }). */
export function wecomCallbackOf(transport: PersonTransport | undefined): WeComCallback | undefined {
  return transport instanceof WeComTransport ? transport.callback : undefined;
}
