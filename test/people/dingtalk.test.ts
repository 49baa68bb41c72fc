// DingTalk work notifications against a local DingTalk server (test/helpers/fake-providers/dingtalk.ts):
// OAuth2 app token with expiry, asyncsend_v2 action cards checked field by field, same-day dedup.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveProviders, type DingTalkConfig } from '../../server/src/notify/people/provider-config.ts';
import { DingTalkTransport } from '../../server/src/notify/people/dingtalk/transport.ts';
import { DingTalkStream } from '../../server/src/notify/people/dingtalk/stream.ts';
import { FakeDingTalk } from '../helpers/fake-providers/dingtalk.ts';
import { waitFor } from '../helpers/ports.ts';
import { personMessage, worker } from './messages.ts';

let now = 0;
const clock = () => now;
let fake: FakeDingTalk;
let config: DingTalkConfig;

beforeEach(async () => {
  now = Date.parse('2026-05-01T02:00:00Z') + Math.floor(Math.random() * 1e9);
  fake = new FakeDingTalk({ appKey: 'dingapp', appSecret: 'dsecret', agentId: 3001, users: ['ding-wangfang'], clock });
  await fake.start();
  config = resolveProviders({ dingtalk: { appKey: 'dingapp', appSecret: 'dsecret', agentId: 3001, apiBaseUrl: fake.url, oapiBaseUrl: `${fake.url}/` } }).dingtalk!;
});
afterEach(async () => {
  await fake.close();
});

describe('DingTalkTransport', () => {
  it('sends an action card whose button is the acknowledgement link to the worker userid', async () => {
    const t = new DingTalkTransport(config, { clock });
    expect(t.reachable(worker)).toBe(true);
    expect(t.reachable({ ...worker, accounts: { wecom: 'x' } })).toBe(false);
    const m = personMessage({ now });
    const r = await t.send(m);
    expect(r).toMatchObject({ ok: true, status: 200 });
    expect(fake.notifications).toHaveLength(1);
    const n = fake.notifications[0]!;
    expect(r.providerMessageId).toBe(String(n.taskId));
    expect(n.userid).toBe('ding-wangfang');
    expect(n.msg.action_card.title).toBe('【紧急·新告警】火灾报警');
    expect(n.msg.action_card.markdown).toContain(m.place.zh);
    expect(n.msg.action_card.markdown).toContain(m.place.en);
    expect(n.msg.action_card.btn_json_list).toEqual([{ title: '确认 Acknowledge', action_url: m.ackUrl }]);
    const result = await t.api.sendResult(r.providerMessageId!);
    expect(result.unread_user_id_list).toEqual(['ding-wangfang']);
  });

  it('reuses the token until it expires and fetches a new one on 40014', async () => {
    const t = new DingTalkTransport(config, { clock });
    await t.send(personMessage({ now }));
    await t.send(personMessage({ now }));
    expect(fake.tokensIssued).toBe(1);
    now += 7200_000;
    await t.send(personMessage({ now }));
    expect(fake.tokensIssued).toBe(2);
    fake.revokeTokens();
    expect((await t.send(personMessage({ now }))).ok).toBe(true);
    expect(fake.tokensIssued).toBe(3);
  });

  it('a reminder a minute later is not identical content, so DingTalk shows it too', async () => {
    const t = new DingTalkTransport(config, { clock });
    const m = personMessage({ now });
    await t.send(m);
    now += 60_000;
    await t.send({ ...m, change: 'opened' });
    expect(fake.deduped).toEqual([]);
    expect(fake.notifications).toHaveLength(2);
  });

  it('under a storm merges non-critical notifications into one action card and sends every critical one at once', async () => {
    const t = new DingTalkTransport({ ...config, perMemberPerMinute: 6 }, { clock });
    const results = [];
    for (let i = 0; i < 10; i++) results.push(await t.send(personMessage({ now, severity: 'minor', type: 'low_battery', place: { zh: '3号楼', en: 'Building 3' } })));
    for (let i = 0; i < 5; i++) results.push(await t.send(personMessage({ now, severity: 'critical' })));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(t.held).toBe(6);
    expect(fake.notifications.filter((n) => n.msg.action_card.title.includes('紧急'))).toHaveLength(5);
    now += 61_000;
    await t.flush();
    expect(t.held).toBe(0);
    const summary = fake.notifications.at(-1)!;
    expect(summary.msg.action_card.title).toBe('另有 6 条告警：3号楼');
    expect(summary.msg.action_card.markdown).toContain('6 more alerts in Building 3');
    expect(summary.msg.action_card.btn_json_list).toHaveLength(5);
    expect(fake.deduped).toEqual([]);
  });

  it('reports a wrong secret as permanent and an outage as retryable', async () => {
    expect(await new DingTalkTransport({ ...config, appSecret: 'x' }, { clock }).send(personMessage({ now }))).toMatchObject({ ok: false, retry: false, status: 400 });
    const t = new DingTalkTransport(config, { clock });
    fake.failNext = { count: 1, status: 502 };
    expect(await t.send(personMessage({ now }))).toMatchObject({ ok: false, retry: true, status: 502 });
    expect(await t.send(personMessage({ now, recipient: { ...worker, accounts: {} } }))).toMatchObject({ ok: false, retry: false });
    expect(await new DingTalkTransport({ ...config, apiBaseUrl: 'http://127.0.0.1:1' }, { clock }).send(personMessage({ now }))).toMatchObject({ ok: false, retry: true });
  });
});

describe('DingTalk Stream mode (dingtalk-stream against a local gateway)', () => {
  const card = (userId: string, params: Record<string, string>, actionIds = ['ack']) => ({
    type: 'actionCallback',
    corpId: 'dingcorp',
    userId,
    outTrackId: 'track-1',
    content: JSON.stringify({ cardPrivateData: { actionIds, params } }),
  });

  it('connects through the configured gateway and acknowledges a card button press as the presser', async () => {
    const acks: string[][] = [];
    const stream = new DingTalkStream(config, {
      personByDingTalkUser: (u) => (u === 'ding-wangfang' ? 'w1' : undefined),
      acknowledge: async (alertId, personId, channel) => {
        acks.push([alertId, personId, channel]);
      },
    });
    await stream.start();
    try {
      await waitFor(() => fake.connected, { timeoutMs: 5000, what: 'stream connection' });
      expect(fake.subscriptions).toContainEqual({ type: 'CALLBACK', topic: '/v1.0/card/instances/callback' });
      const answer = await fake.push('CALLBACK', '/v1.0/card/instances/callback', card('ding-wangfang', { alertId: 'al-9' }));
      expect(acks).toEqual([['al-9', 'w1', 'dingtalk']]);
      expect(JSON.parse(answer.data as string)).toEqual({ response: { userPrivateData: { cardParamMap: { acknowledged: 'true', ackLabel: '已确认 Acknowledged' } } } });
      // Strangers, other buttons and malformed payloads are answered (no re-push) but acknowledge nothing.
      await fake.push('CALLBACK', '/v1.0/card/instances/callback', card('stranger', { alertId: 'al-9' }));
      await fake.push('CALLBACK', '/v1.0/card/instances/callback', card('ding-wangfang', { alertId: 'al-9' }, ['open']));
      await fake.push('CALLBACK', '/v1.0/card/instances/callback', { userId: 'ding-wangfang', content: 'not json' });
      await fake.push('CALLBACK', '/v1.0/card/instances/callback', card('ding-wangfang', { alertId: '../etc' }));
      expect(acks).toHaveLength(1);
      expect(stream.outcomes).toEqual(['acknowledged', 'unknown_user', 'ignored', 'ignored', 'ignored']);
    } finally {
      stream.stop();
    }
  });

  it('does not connect with a wrong secret', async () => {
    const stream = new DingTalkStream({ ...config, appSecret: 'wrong' }, { personByDingTalkUser: () => undefined, acknowledge: async () => {} });
    await stream.start();
    try {
      expect(stream.connected).toBe(false);
      expect(fake.connected).toBe(false);
    } finally {
      stream.stop();
    }
  });
});
