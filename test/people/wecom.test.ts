// WeCom app messages and callbacks against a local WeCom server (test/helpers/fake-providers/wecom.ts)
// that issues expiring tokens, checks every card field, limits 30 messages a minute per member and
// sends encrypted, signed callbacks with @wecom/crypto.
import crypto from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveProviders, type WeComConfig } from '../../server/src/notify/people/provider-config.ts';
import { WeComTransport } from '../../server/src/notify/people/wecom/transport.ts';
import { WeComCallback } from '../../server/src/notify/people/wecom/callback.ts';
import { wecomCallbackRoutes } from '../../server/src/http/routes/wecom-callback.ts';
import { FakeWeCom } from '../helpers/fake-providers/wecom.ts';
import { personMessage, worker } from './messages.ts';

const aesKey = crypto.randomBytes(32).toString('base64').replace(/[^A-Za-z0-9]/g, 'x').slice(0, 43);
let now = 0;
const clock = () => now;

let fake: FakeWeCom;
let config: WeComConfig;

beforeEach(async () => {
  now = Date.parse('2026-03-01T08:00:00Z') + Math.floor(Math.random() * 1e9);
  fake = new FakeWeCom({ corpId: 'ww1234', corpSecret: 's3cret', agentId: 1000002, token: 'cbToken', encodingAesKey: aesKey, users: ['wangfang', 'lisi'], clock });
  await fake.start();
  config = resolveProviders({ wecom: { corpId: 'ww1234', agentId: 1000002, corpSecret: 's3cret', callbackToken: 'cbToken', encodingAesKey: aesKey, baseUrl: fake.url } }).wecom!;
});
afterEach(async () => {
  await fake.close();
});

describe('WeComTransport', () => {
  it('sends a button_interaction card to the worker userid, reusing the token until it expires', async () => {
    const t = new WeComTransport(config, { clock });
    expect(t.reachable(worker)).toBe(true);
    expect(t.reachable({ ...worker, accounts: {} })).toBe(false);
    const m = personMessage({ now });
    const r = await t.send(m);
    expect(r).toMatchObject({ ok: true, status: 200 });
    expect(r.providerMessageId).toBe(fake.sent[0]!.msgid);
    const card = fake.sent[0]!.body.template_card as Record<string, any>;
    expect(fake.sent[0]!.touser).toBe('wangfang');
    expect(card.main_title.title).toBe('【紧急·新告警】火灾报警');
    expect(card.main_title.desc).toBe('[Critical · New alert] Fire alarm');
    expect(card.horizontal_content_list[0]).toEqual({ keyname: '位置', value: m.place.zh });
    expect(card.card_action.url).toBe(m.ackUrl);
    expect(card.button_list[0].key).toBe(`ack|${m.alert.id}`);

    await t.send(personMessage({ now }));
    expect(fake.tokensIssued).toBe(1);
    now += 7200_000; // past expires_in: fetched again before use
    await t.send(personMessage({ now }));
    expect(fake.tokensIssued).toBe(2);
  });

  it('fetches a new token when WeCom answers 40014 (revoked) and 42001 (expired early)', async () => {
    const t = new WeComTransport(config, { clock });
    await t.send(personMessage({ now }));
    fake.revokeTokens();
    expect((await t.send(personMessage({ now }))).ok).toBe(true);
    expect(fake.tokensIssued).toBe(2);
    // The server's token lives 10 s; the cache holds it for half of that, and WeCom says 42001 when it lapses.
    fake.opts.expiresInS = 10;
    fake.revokeTokens();
    expect((await t.send(personMessage({ now }))).ok).toBe(true);
    now += 4_000;
    expect((await t.send(personMessage({ now }))).ok).toBe(true);
    expect(fake.tokensIssued).toBe(3);
    expect(fake.sent).toHaveLength(4);
  });

  it('reports a wrong secret, an unknown userid and a provider outage for the outbox to handle', async () => {
    const wrong = new WeComTransport({ ...config, corpSecret: 'nope' }, { clock });
    expect(await wrong.send(personMessage({ now }))).toMatchObject({ ok: false, retry: false });
    const t = new WeComTransport(config, { clock });
    const stranger = { ...worker, accounts: { wecom: 'nobody' } };
    expect(await t.send(personMessage({ now, recipient: stranger }))).toMatchObject({ ok: false, retry: false });
    fake.failNext = { count: 1, status: 503 };
    expect(await t.send(personMessage({ now }))).toMatchObject({ ok: false, retry: true, status: 503 });
    expect(await t.send(personMessage({ now }))).toMatchObject({ ok: true });
    const down = new WeComTransport({ ...config, baseUrl: 'http://127.0.0.1:1' }, { clock });
    expect(await down.send(personMessage({ now }))).toMatchObject({ ok: false, retry: true });
  });

  it('under a storm merges non-critical messages into one summary, and never holds back a critical one', async () => {
    const t = new WeComTransport(config, { clock });
    const results = [];
    for (let i = 0; i < 40; i++) {
      results.push(await t.send(personMessage({ now, severity: 'major', type: 'smoke_fault', place: { zh: '3号楼', en: 'Building 3' } })));
      if (i % 4 === 0) results.push(await t.send(personMessage({ now, severity: 'critical' })));
    }
    expect(results.every((r) => r.ok)).toBe(true);
    const criticalSent = fake.sent.filter((s) => (s.body.template_card as any)?.main_title.title.includes('紧急'));
    expect(criticalSent).toHaveLength(10);
    expect(fake.dropped).toHaveLength(0);
    expect(t.held).toBeGreaterThan(0);
    const held = t.held;
    const sentBefore = fake.sent.length;
    expect(sentBefore).toBeLessThanOrEqual(30);

    // Within the same minute there is no room yet: the summary waits.
    await t.flush();
    expect(fake.sent).toHaveLength(sentBefore);
    now += 61_000;
    await t.flush();
    expect(t.held).toBe(0);
    const summary = fake.sent.at(-1)!;
    expect(summary.msgtype).toBe('text');
    expect((summary.body.text as any).content).toContain(`另有 ${held} 条告警：3号楼 / ${held} more alerts in Building 3`);
    expect(fake.dropped).toHaveLength(0);

    // A critical alert right after the storm still goes at once, as a card.
    expect(await t.send(personMessage({ now, severity: 'critical' }))).toMatchObject({ ok: true, status: 200 });
  });

  it('greys out every card sent for an alert once it is acknowledged on any channel, naming who', async () => {
    const t = new WeComTransport(config, { clock });
    const m = personMessage({ now });
    await t.send(m);
    await t.send({ ...m, key: `${m.key}:lisi`, recipient: { ...worker, id: 'w2', accounts: { wecom: 'lisi' } } });
    await t.send(personMessage({ now }));
    await t.acknowledged(m.alert.id, '王芳');
    expect(fake.updates.map((u) => u.userids)).toEqual([['wangfang'], ['lisi']]);
    expect(fake.updates[0]).toMatchObject({ button: { replace_name: '王芳 已确认 Acknowledged' } });
    await t.acknowledged(m.alert.id, '王芳');
    expect(fake.updates).toHaveLength(2);
  });

  it('keeps a merged summary held while WeCom is down, and sends it once it is back', async () => {
    const t = new WeComTransport({ ...config, perMemberPerMinute: 3 }, { clock });
    for (let i = 0; i < 5; i++) await t.send(personMessage({ now, severity: 'minor', type: 'low_battery' }));
    expect(t.held).toBe(3);
    now += 61_000;
    fake.failNext = { count: 1, status: 502 };
    await t.flush();
    expect(t.held).toBe(3);
    await t.flush();
    expect(t.held).toBe(0);
    expect((fake.sent.at(-1)!.body.text as any).content).toContain('另有 3 条告警');
  });
});

describe('WeCom callback URL', () => {
  let app: FastifyInstance;
  let url: string;
  const acks: [string, string, string][] = [];

  beforeEach(async () => {
    acks.length = 0;
    const t = new WeComTransport(config, { clock });
    const callback = new WeComCallback({
      api: t.api,
      token: config.callback!.token,
      encodingAesKey: config.callback!.encodingAesKey,
      corpId: config.corpId,
      clock,
      personByWeComUser: (u) => (u === 'wangfang' ? 'w1' : undefined),
      acknowledge: async (alertId, personId, channel) => {
        acks.push([alertId, personId, channel]);
      },
    });
    app = Fastify();
    await app.register(wecomCallbackRoutes, { callback, prefix: '/api/wecom' });
    url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/api/wecom/callback`;
    (app as any).transport = t;
    (app as any).callback = callback;
  });
  afterEach(async () => {
    await app.close();
  });

  it('passes WeCom URL verification (decrypted echostr) and refuses a bad signature', async () => {
    expect(await fake.verifyUrl(url)).toMatchObject({ ok: true, status: 200 });
    const res = await fetch(`${url}?msg_signature=abc&timestamp=${Math.floor(now / 1000)}&nonce=1&echostr=AAAA`);
    expect(res.status).toBe(401);
  });

  it('acknowledges as the worker who pressed the card button, then greys the button out', async () => {
    const t = (app as any).transport as WeComTransport;
    const m = personMessage({ now });
    await t.send(m);
    const res = await fake.pressButton(url, fake.sent[0]!);
    expect(res.status).toBe(200);
    expect(acks).toEqual([[m.alert.id, 'w1', 'wecom']]);
    expect(fake.updates).toHaveLength(1);
    expect(fake.updates[0]).toMatchObject({ userids: ['wangfang'], button: { replace_name: '已确认 Acknowledged' } });
  });

  it('refuses tampered, stale, foreign and malformed callbacks before acting', async () => {
    const t = (app as any).transport as WeComTransport;
    await t.send(personMessage({ now }));
    const sent = fake.sent[0]!;
    expect((await fake.pressButton(url, sent, { tamper: true })).status).toBe(401);
    const stale = await fake.postEncrypted(url, '<xml><MsgType>event</MsgType></xml>', { timestamp: Math.floor(now / 1000) - 3600 });
    expect(stale.status).toBe(400);
    const other = new FakeWeCom({ ...fake.opts, corpId: 'wwOTHER' });
    const foreign = await other.postEncrypted(url, '<xml><MsgType>event</MsgType></xml>');
    expect(foreign.status).toBe(401);
    const garbage = await fetch(`${url}?msg_signature=a&timestamp=1&nonce=1`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: 'not xml' });
    expect(garbage.status).toBe(400);
    expect(Object.fromEntries((app as any).callback.refused)).toEqual({ bad_signature: 1, stale_timestamp: 1, wrong_corp: 1, bad_envelope: 1 });
    expect(acks).toEqual([]);
    expect(fake.updates).toEqual([]);
  });

  it('ignores the retries of one press and presses from unknown users', async () => {
    const t = (app as any).transport as WeComTransport;
    await t.send(personMessage({ now, recipient: { ...worker, accounts: { wecom: 'lisi' } } }));
    expect((await fake.pressButton(url, fake.sent[0]!)).status).toBe(200);
    expect(acks).toEqual([]);
    const m = personMessage({ now });
    await t.send(m);
    expect((await fake.pressButton(url, fake.sent[1]!)).status).toBe(200);
    expect((await fake.replayLast()).status).toBe(200);
    expect((await fake.replayLast()).status).toBe(200);
    expect(acks).toEqual([[m.alert.id, 'w1', 'wecom']]);
    expect(fake.updates).toHaveLength(1);
  });
});
