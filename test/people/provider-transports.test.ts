// The `providers:` section turned into working transports, each against its local provider.
import Fastify from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { resolveProviders } from '../../server/src/notify/people/provider-config.ts';
import { buildProviderTransports, wecomCallbackOf } from '../../server/src/notify/people/provider-transports.ts';
import { wecomCallbackRoutes } from '../../server/src/http/routes/wecom-callback.ts';
import { FakeAliyun } from '../helpers/fake-providers/aliyun.ts';
import { FakeDingTalk } from '../helpers/fake-providers/dingtalk.ts';
import { FakeWeCom } from '../helpers/fake-providers/wecom.ts';
import { waitFor } from '../helpers/ports.ts';
import { personMessage, worker } from './messages.ts';

const aesKey = 'k'.repeat(21) + 'K'.repeat(22);
const clock = () => Date.now();
let wecom: FakeWeCom;
let ding: FakeDingTalk;
let ali: FakeAliyun;

beforeEach(async () => {
  wecom = new FakeWeCom({ corpId: 'ww1', corpSecret: 's', agentId: 7, token: 't', encodingAesKey: aesKey, users: ['wangfang'], clock });
  ding = new FakeDingTalk({ appKey: 'k', appSecret: 's', agentId: 8, users: ['ding-wangfang'], clock });
  ali = new FakeAliyun({ accessKeyId: 'AK', accessKeySecret: 'SK', signNames: ['社区安全'], smsTemplates: { SMS_1: '${place} ${alert}，请确认：${link}' }, ttsTemplates: { TTS_1: '${place}，${alert}' }, calledShowNumbers: ['0571'] });
  await Promise.all([wecom.start(), ding.start(), ali.start()]);
});
afterEach(async () => {
  await Promise.all([wecom.close(), ding.close(), ali.close()]);
});

it('builds WeCom, DingTalk (with Stream), SMS and voice from the providers section, each reaching its provider', async () => {
  const aliyun = { provider: 'aliyun' as const, accessKeyId: 'AK', accessKeySecret: 'SK', endpoint: ali.endpoint, protocol: 'http' as const };
  const config = resolveProviders({
    wecom: { corpId: 'ww1', agentId: 7, corpSecret: 's', callbackToken: 't', encodingAesKey: aesKey, baseUrl: wecom.url },
    dingtalk: { appKey: 'k', appSecret: 's', agentId: 8, apiBaseUrl: ding.url, oapiBaseUrl: ding.url, stream: true },
    sms: { ...aliyun, signName: '社区安全', templateCode: 'SMS_1' },
    voice: { ...aliyun, calledShowNumber: '0571', ttsCode: 'TTS_1' },
  });
  const acks: string[][] = [];
  const transports = buildProviderTransports(config, { people: () => [worker], acknowledge: async (a, p, c) => void acks.push([a, p, c]) });
  expect(transports.map((t) => t.channel)).toEqual(['wecom', 'dingtalk', 'sms', 'voice']);
  for (const t of transports) await t.start?.();
  const app = Fastify();
  try {
    const m = personMessage();
    for (const t of transports) expect(await t.send(m)).toMatchObject({ ok: true });
    expect(wecom.sent).toHaveLength(1);
    expect(ding.notifications).toHaveLength(1);
    expect(ali.delivered.map((d) => d.action)).toEqual(['SendSms', 'SingleCallByTts']);

    await app.register(wecomCallbackRoutes, { callback: wecomCallbackOf(transports[0])!, prefix: '/api/wecom' });
    const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/api/wecom/callback`;
    expect((await wecom.pressButton(url, wecom.sent[0]!)).status).toBe(200);
    await waitFor(() => ding.connected, { timeoutMs: 5000, what: 'stream' });
    await ding.push('CALLBACK', '/v1.0/card/instances/callback', { userId: 'ding-wangfang', content: JSON.stringify({ cardPrivateData: { actionIds: ['ack'], params: { alertId: m.alert.id } } }) });
    expect(acks).toEqual([
      [m.alert.id, 'w1', 'wecom'],
      [m.alert.id, 'w1', 'dingtalk'],
    ]);
  } finally {
    await app.close();
    for (const t of transports) await t.stop?.();
  }
});
