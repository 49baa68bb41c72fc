// The whole hub with a `providers:` section: an alarm reaches the worker on WeCom and DingTalk
// (local providers), the WeCom callback URL is served by the hub's own HTTP app, and a press of
// the card's button acknowledges the alert as that worker, via WeCom, and greys the card out.
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Hub } from '../../server/src/hub.ts';
import { SAMPLE_CONFIG } from '../helpers/alerts.ts';
import { FakeDingTalk } from '../helpers/fake-providers/dingtalk.ts';
import { FakeWeCom } from '../helpers/fake-providers/wecom.ts';
import { waitFor } from '../helpers/ports.ts';
import { startDeliveryHub } from '../push/delivery-hub.ts';

const aesKey = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg';
let wecom: FakeWeCom;
let ding: FakeDingTalk;
let hub: Hub | undefined;

beforeEach(async () => {
  wecom = new FakeWeCom({ corpId: 'wwhub', corpSecret: 'sec', agentId: 1000005, token: 'cbtok', encodingAesKey: aesKey, users: ['zhangwei'], clock: Date.now });
  ding = new FakeDingTalk({ appKey: 'dk', appSecret: 'ds', agentId: 99, users: ['ding-zw'], clock: Date.now });
  await Promise.all([wecom.start(), ding.start()]);
});
afterEach(async () => {
  await hub?.stop();
  hub = undefined;
  await Promise.all([wecom.close(), ding.close()]);
});

it('delivers an alarm on WeCom and DingTalk and takes acknowledgements from the WeCom card button and the DingTalk Stream', async () => {
  const workers = SAMPLE_CONFIG.workers!.map((w) => (w.id === 'w1' ? { ...w, accounts: { wecom: 'zhangwei', dingtalk: 'ding-zw' } } : w));
  hub = await startDeliveryHub({
    extra: {
      workers,
      providers: {
        wecom: { corpId: 'wwhub', agentId: 1000005, corpSecret: 'sec', callbackToken: 'cbtok', encodingAesKey: aesKey, baseUrl: wecom.url },
        dingtalk: { appKey: 'dk', appSecret: 'ds', agentId: 99, apiBaseUrl: ding.url, oapiBaseUrl: ding.url, stream: true },
      },
    },
  });
  const callbackUrl = `${hub.httpUrl}/api/wecom/callback`;
  expect(await wecom.verifyUrl(callbackUrl)).toMatchObject({ ok: true });

  const alert = hub.alerts.signal(hub.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
  const card = await waitFor(() => wecom.sent.find((s) => s.touser === 'zhangwei'), { timeoutMs: 10_000, what: 'the WeCom card' });
  await waitFor(() => ding.notifications.find((n) => n.userid === 'ding-zw'), { timeoutMs: 10_000, what: 'the DingTalk notification' });
  const ackUrl = (card.body.template_card as { card_action: { url: string } }).card_action.url;
  expect(ackUrl.startsWith(hub.httpUrl)).toBe(true);
  expect(ding.notifications[0]!.msg.action_card.btn_json_list[0].action_url.startsWith(hub.httpUrl)).toBe(true);

  expect((await wecom.pressButton(callbackUrl, card)).status).toBe(200);
  const acked = await waitFor(() => (hub!.alerts.get(alert.id)?.state === 'acknowledged' ? hub!.alerts.get(alert.id) : undefined), { timeoutMs: 5000, what: 'acknowledged' });
  expect(acked!.history.find((h) => h.action === 'acknowledged_via')?.detail).toMatchObject({ channel: 'wecom', recipient: '张伟' });
  expect(wecom.updates.length).toBeGreaterThanOrEqual(1);
  // A forged press (wrong signature) is refused by the hub's HTTP app.
  expect((await wecom.pressButton(callbackUrl, card, { tamper: true })).status).toBe(401);

  // An interactive-card press arriving over the DingTalk Stream connection acknowledges too.
  const second = hub.alerts.signal(hub.registry.get('s2')!, { type: 'fire_alarm', action: 'event' })!;
  await waitFor(() => ding.connected, { timeoutMs: 10_000, what: 'the Stream connection' });
  await ding.push('CALLBACK', '/v1.0/card/instances/callback', { userId: 'ding-zw', content: JSON.stringify({ cardPrivateData: { actionIds: ['ack'], params: { alertId: second.id } } }) });
  const viaDing = await waitFor(() => (hub!.alerts.get(second.id)?.state === 'acknowledged' ? hub!.alerts.get(second.id) : undefined), { timeoutMs: 5000, what: 'acknowledged via DingTalk' });
  expect(viaDing!.history.find((h) => h.action === 'acknowledged_via')?.detail).toMatchObject({ channel: 'dingtalk', recipient: '张伟' });
});
