// Cases to people through the people outbox (docs/cases.md "Cases to people"), against local
// servers that speak WeCom's, DingTalk's and Web Push's protocols, on an injected clock: the
// dispatched case reaches its worker with code, category, place and deadline by name and a link
// to /worker; before the deadline the worker is reminded; at it the supervisor and the lead hear
// of the escalation at level 1. One message per (case, stage, level, recipient, channel).
import { afterEach, describe, expect, it } from 'vitest';
import type { Hub } from '../../server/src/hub.ts';
import type { CaseActor } from '../../server/src/cases/roles.ts';
import { SAMPLE_CONFIG } from '../helpers/alerts.ts';
import { FakeDingTalk } from '../helpers/fake-providers/dingtalk.ts';
import { FakeWeCom } from '../helpers/fake-providers/wecom.ts';
import { waitFor } from '../helpers/ports.ts';
import { startDeliveryHub, workerAccount } from '../push/delivery-hub.ts';
import { hasOpenssl, LocalPushService } from '../push/push-service.ts';

const boss: CaseActor = { username: 'boss', ids: new Set(['boss']), roles: new Set(['control', 'supervisor']) };
// Wednesday 4 March 2026, 10:00 China time: a working day.
const START = Date.UTC(2026, 2, 4, 2, 0);
const MIN = 60_000;

describe.skipIf(!hasOpenssl)('cases to people on WeCom, DingTalk and Web Push', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('dispatch, reminder, 超时 and escalation each reach the right people once, with the case by name', async () => {
    const wecom = new FakeWeCom({ corpId: 'wwhub', corpSecret: 'sec', agentId: 1000005, token: 'cbtok', encodingAesKey: 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg', users: ['zhangwei', 'wangqiang'], clock: Date.now });
    const ding = new FakeDingTalk({ appKey: 'dk', appSecret: 'ds', agentId: 99, users: ['ding-zw', 'ding-chen'], clock: Date.now });
    const push = new LocalPushService();
    await Promise.all([wecom.start(), ding.start(), push.start()]);
    cleanups.push(() => wecom.close(), () => ding.close(), () => push.stop());
    const clock = { now: START };
    const accounts: Record<string, object> = { w1: { wecom: 'zhangwei', dingtalk: 'ding-zw' }, sup1: { wecom: 'wangqiang' }, lead1: { dingtalk: 'ding-chen' } };
    const hub: Hub = await startDeliveryHub({
      pushAgent: push.agent,
      clock: () => clock.now,
      extra: {
        workers: SAMPLE_CONFIG.workers!.map((w) => (accounts[w.id] ? { ...w, accounts: accounts[w.id] } : w)),
        communities: SAMPLE_CONFIG.communities!.map((c) => ({ ...c, name: { zh: '阳光社区', en: 'Sunshine' }, cells: (c.cells ?? []).map((g) => (g.id === 'g1' ? { ...g, name: { zh: '一网格', en: 'Cell 1' } } : g)) })),
        delivery: { publicUrl: 'https://hub.example.cn' },
        providers: {
          wecom: { corpId: 'wwhub', agentId: 1000005, corpSecret: 'sec', baseUrl: wecom.url },
          dingtalk: { appKey: 'dk', appSecret: 'ds', agentId: 99, apiBaseUrl: ding.url, oapiBaseUrl: ding.url },
        },
      },
    });
    cleanups.push(() => hub.stop());
    const zhang = await workerAccount(hub, 'zhang', 'w1');
    const sub = push.subscription();
    expect((await zhang(`${hub.httpUrl}/api/push/subscriptions`, { method: 'POST', body: JSON.stringify({ endpoint: sub.endpoint, keys: sub.keys }) })).status).toBe(201);

    const made = hub.cases.create({ title: '楼道堆物', category: 'hazard', description: '3号楼楼道堆放纸箱', source: 'patrol', communityId: 'c1', gridCellId: 'g1' }, 'w1');
    hub.cases.act(made.id, 'accept', {}, boss);
    hub.cases.act(made.id, 'register', {}, boss);
    const dispatched = hub.cases.act(made.id, 'dispatch', { assignee: 'w1' }, boss);
    const due = dispatched.deadlines.disposed!;
    const dueText = new Date(due + 480 * MIN).toISOString().slice(0, 16).replace('T', ' ');

    // 派遣: the worker's WeCom card, DingTalk work notification and Web Push.
    const card = await waitFor(() => wecom.sent.find((s) => s.touser === 'zhangwei'), { timeoutMs: 10_000, what: 'the WeCom card' });
    const tc = card.body.template_card as Record<string, any>;
    expect(tc.card_type).toBe('text_notice');
    expect(tc.main_title.title).toBe('【事件·派遣给您】楼道堆物');
    expect(tc.card_action.url).toBe(`https://hub.example.cn/worker?case=${made.id}`);
    expect(Object.fromEntries((tc.horizontal_content_list as { keyname: string; value: string }[]).map((l) => [l.keyname, l.value]))).toEqual({
      编号: made.code,
      类别: '安全隐患',
      位置: '阳光社区 一网格',
      期限: `处置 ${dueText}`,
    });
    const note = await waitFor(() => ding.notifications.find((n) => n.userid === 'ding-zw'), { timeoutMs: 10_000, what: 'the DingTalk notification' });
    expect(note.msg.action_card.markdown).toContain(`- 编号: ${made.code}`);
    expect(note.msg.action_card.markdown).toContain('- Category: Safety hazard');
    expect(note.msg.action_card.markdown).toContain('- Where: Sunshine, Cell 1');
    expect(note.msg.action_card.btn_json_list[0].action_url).toBe(`https://hub.example.cn/worker?case=${made.id}`);
    const pushed = await waitFor(() => push.received.find((p) => (p.body as { type: string }).type === 'case'), { timeoutMs: 10_000, what: 'the push' });
    expect(pushed.body).toMatchObject({ type: 'case', change: 'dispatched', case: { id: made.id, code: made.code, stage: 'disposed', deadline: due, due: dueText }, notification: { tag: `case-${made.id}`, openUrl: `/worker?case=${made.id}` } });
    // Nobody else heard of the dispatch.
    expect(wecom.sent.filter((s) => s.touser !== 'zhangwei')).toEqual([]);
    expect(ding.notifications.filter((n) => n.userid !== 'ding-zw')).toEqual([]);

    // 即将到期: past three quarters of the disposal's time, the worker is reminded (once, however often the monitor looks).
    const since = dispatched.stageAt.dispatched!;
    clock.now = since + Math.ceil((due - since) * 0.8);
    hub.caseMonitor.tick();
    hub.caseMonitor.tick();
    await waitFor(() => wecom.sent.filter((s) => s.touser === 'zhangwei').length >= 2 || undefined, { timeoutMs: 10_000, what: 'the reminder card' });
    await waitFor(() => push.received.filter((p) => (p.body as { type: string }).type === 'case').length >= 2 || undefined, { timeoutMs: 10_000, what: 'the reminder push' });
    expect((wecom.sent.filter((s) => s.touser === 'zhangwei')[1]!.body.template_card as Record<string, any>).main_title.title).toBe('【事件·即将到期】楼道堆物');

    // 超时: the worker hears it is overdue; the supervisor (WeCom) and the lead (DingTalk) hear of the escalation, level 1.
    clock.now = due + MIN;
    hub.caseMonitor.tick();
    const up = await waitFor(() => wecom.sent.find((s) => s.touser === 'wangqiang'), { timeoutMs: 10_000, what: 'the supervisor’s card' });
    const upCard = up.body.template_card as Record<string, any>;
    expect(upCard.main_title.title).toBe('【事件·超时·升级】楼道堆物');
    expect(upCard.horizontal_content_list).toContainEqual({ keyname: '升级级别', value: '1' });
    const lead = await waitFor(() => ding.notifications.find((n) => n.userid === 'ding-chen'), { timeoutMs: 10_000, what: 'the lead’s notification' });
    expect(lead.msg.action_card.title).toBe('【事件·超时·升级】楼道堆物');
    await waitFor(() => wecom.sent.filter((s) => s.touser === 'zhangwei').length >= 3 || undefined, { timeoutMs: 10_000, what: 'the overdue card' });
    expect((wecom.sent.filter((s) => s.touser === 'zhangwei')[2]!.body.template_card as Record<string, any>).main_title.title).toBe('【事件·已超时】楼道堆物');

    // Nothing more, however often the monitor looks: one message per (case, stage, level, recipient, channel).
    hub.caseMonitor.tick();
    await new Promise((r) => setTimeout(r, 500));
    const byPerson = (list: { touser?: string; userid?: string }[]) => list.reduce<Record<string, number>>((n, s) => ((n[s.touser ?? s.userid!] = (n[s.touser ?? s.userid!] ?? 0) + 1), n), {});
    expect(byPerson(wecom.sent)).toEqual({ zhangwei: 3, wangqiang: 1 });
    expect(byPerson(ding.notifications)).toEqual({ 'ding-zw': 3, 'ding-chen': 1 });
    expect(push.received.filter((p) => (p.body as { type: string }).type === 'case').map((p) => (p.body as { change: string }).change)).toEqual(['dispatched', 'reminded', 'overdue']);
    // The alerts' history is untouched by case deliveries.
    expect(hub.alerts.list({})).toEqual([]);
  });
});
