import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLive } from '../helpers/auth.ts';
import { startCaseHub, type CaseHub } from './case-hub.ts';

const MIN = 60_000;
const cn = (y: number, mo: number, d: number, h: number, mi = 0) => Date.UTC(y, mo - 1, d, h - 8, mi);
/** Tuesday 2025-09-30 17:00, the last working hour before 国庆 (10-01 to 10-08; Saturday 10-11 is worked). */
const T0 = cn(2025, 9, 30, 17, 0);

const actions = (c: { history: { action: string }[] }) => c.history.map((h) => h.action);

describe('case deadline monitor (fake clock)', () => {
  let h: CaseHub;
  beforeAll(async () => {
    h = await startCaseHub(T0);
  });
  afterAll(async () => h?.stop());
  const post = (user: string, url: string, payload?: unknown) => h.as(user)({ method: 'POST', url, ...(payload !== undefined ? { payload: payload as object } : {}) });
  const at = (t: number) => {
    h.clock.now = t;
    h.hub.caseMonitor.tick();
  };

  it('reminds before the accept deadline, across the holiday, then marks it overdue and escalates at it', async () => {
    const made = await post('zhang', '/api/cases', { title: '消防通道堵塞', category: 'hazard', communityId: 'hx', gridCellId: 'g1', description: '2号楼消防通道被电动车堵塞', source: 'patrol' });
    const id = made.body.case.id as string;
    // 30 working minutes from 17:00 on 09-30: 30 minutes that evening would end at 17:30 exactly.
    expect(made.body.case.deadlines.accepted).toBe(cn(2025, 9, 30, 17, 30));
    const ws = await openLive(h.hub.httpUrl, h.token('op'));
    const heard: string[] = [];
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as { type: string; change: string; case: { id: string } };
      if (msg.type === 'case' && msg.case.id === id) heard.push(msg.change);
    });
    at(cn(2025, 9, 30, 17, 20));
    expect(actions(h.hub.cases.get(id)!)).toEqual(['reported']);
    at(cn(2025, 9, 30, 17, 23)); // 75% of 30 minutes gone
    const reminded = h.hub.cases.get(id)!;
    expect(actions(reminded)).toEqual(['reported', 'reminded']);
    expect(reminded.history[1]).toMatchObject({ by: 'system', detail: { stage: 'accepted', deadline: cn(2025, 9, 30, 17, 30), to: [{ id: 'zhang', name: '张伟' }] } });
    at(cn(2025, 9, 30, 17, 29));
    expect(actions(h.hub.cases.get(id)!)).toHaveLength(2); // once
    at(cn(2025, 9, 30, 17, 30));
    const late = h.hub.cases.get(id)!;
    expect(late).toMatchObject({ overdue: true, overdueStages: ['accepted'] });
    expect(actions(late)).toEqual(['reported', 'reminded', 'overdue', 'escalated']);
    expect(late.history[3]!.detail).toMatchObject({ level: 1, to: [{ id: 'li', role: 'supervisor' }, { id: 'lead', role: 'lead' }] });
    at(cn(2025, 10, 1, 9, 0));
    expect(actions(h.hub.cases.get(id)!)).toHaveLength(4);
    const list = await h.as('op')({ method: 'GET', url: '/api/cases?overdue=true' });
    expect(list.body.cases.map((c: { id: string }) => c.id)).toEqual([id]);
    await new Promise((r) => setTimeout(r, 100));
    expect(heard).toEqual(['reminded', 'overdue', 'escalated']);
    ws.close();
  });

  it('a dispatched case’s disposal clock stops over 国庆 and runs on the 调休 Saturday', async () => {
    h.clock.now = T0;
    const id = (await post('zhang', '/api/cases', { title: '井盖松动', category: 'facility', communityId: 'hx', gridCellId: 'g1', description: '1号楼前井盖松动', source: 'patrol' })).body.case.id as string;
    for (const [a, b] of [['accept', {}], ['register', {}], ['dispatch', { assignee: 'zhang' }]] as const) await post('op', `/api/cases/${id}/${a}`, b);
    const c = h.hub.cases.get(id)!;
    // 3 working days from 17:00 on 09-30: 30 min that day, then 10-09, 10-10, 10-11 (调休 Saturday) up to 17:00.
    expect(c.deadlines.disposed).toBe(cn(2025, 10, 11, 17, 0));
    at(cn(2025, 10, 8, 23, 0));
    expect(actions(h.hub.cases.get(id)!).filter((a) => a === 'reminded' || a === 'overdue')).not.toContain('overdue');
    at(cn(2025, 10, 11, 17, 0));
    const late = h.hub.cases.get(id)!;
    expect(late.overdueStages).toContain('disposed');
    // Disposing late keeps the mark: 超时 stays in the record.
    h.clock.now = cn(2025, 10, 13, 9, 0);
    const done = await post('zhang', `/api/cases/${id}/dispose`, { note: '已加固' });
    expect(done.body.case).toMatchObject({ stage: 'disposed', overdue: true });
  });

  it('an approved extension moves the reminder and the overdue mark with the deadline', async () => {
    h.clock.now = cn(2025, 10, 14, 9, 0);
    const id = (await post('zhang', '/api/cases', { title: '邻里噪音', category: 'dispute', communityId: 'hx', gridCellId: 'g1', description: '楼上装修噪音', source: 'patrol' })).body.case.id as string;
    for (const [a, b] of [['accept', {}], ['register', {}], ['dispatch', { assignee: 'zhang' }]] as const) await post('op', `/api/cases/${id}/${a}`, b);
    const due = h.hub.cases.get(id)!.deadlines.disposed!;
    expect(due).toBe(cn(2025, 10, 15, 9, 0)); // one working day
    await post('li', `/api/cases/${id}/extend`, { until: due + 2 * 86_400_000, reason: '双方约定周五调解' });
    at(due);
    expect(h.hub.cases.get(id)!.overdueStages).not.toContain('disposed');
    at(due + 2 * 86_400_000);
    expect(h.hub.cases.get(id)!.overdueStages).toContain('disposed');
  });

  it('the hub’s own timer drives the monitor', async () => {
    h.clock.now = cn(2025, 10, 14, 9, 0);
    const id = (await post('op', '/api/cases', { title: '起火', category: 'fire', communityId: 'hx', gridCellId: 'g1', description: '厨房冒烟', source: 'resident' })).body.case.id as string;
    h.clock.now += 6 * MIN;
    await new Promise((r) => setTimeout(r, 1500));
    expect(h.hub.cases.get(id)!.overdueStages).toContain('accepted');
  });
});
