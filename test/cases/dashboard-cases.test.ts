import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api } from '../../dashboard/src/lib/api.ts';
import { messages } from '../../dashboard/src/lib/i18n.ts';
import { actionFields, byStage, CASE_STAGES, caseApi, caseText, deadlineState, historyLabel, percent, type HubCase } from '../../dashboard/src/lib/cases.ts';
import { CASE_STAGES as SERVER_STAGES } from '../../server/src/cases/model.ts';
import { startCaseHub, type CaseHub } from './case-hub.ts';

const T0 = Date.UTC(2025, 10, 4, 1, 0);
const HOUR = 3_600_000;
const card = (over: Partial<HubCase>): HubCase => ({
  id: 'k', code: 'C-1', title: 't', category: 'hazard', description: '', source: 'patrol', communityId: 'hx', gridCellId: null, stage: 'reported', createdAt: T0,
  alertId: null, reportedBy: 'w', updatedAt: T0, stageAt: {}, overdueStages: [], reminded: [], extensionCount: 0, satisfied: null,
  deadlines: {}, overdue: false, assignee: null, reworkCount: 0, supervised: false, extensionRequest: null, photos: [], history: [], ...over,
});

describe('the case board’s logic', () => {
  it('knows the server’s stages, in order', () => {
    expect([...CASE_STAGES]).toEqual([...SERVER_STAGES]);
  });

  it('puts each case in its stage’s column, overdue first, then the oldest', () => {
    const cols = byStage([card({ id: 'a', createdAt: T0 + 1 }), card({ id: 'b', createdAt: T0 + 2, overdue: true }), card({ id: 'c', createdAt: T0 }), card({ id: 'd', stage: 'closed' })]);
    expect(cols.map((c) => c.stage)).toEqual([...CASE_STAGES]);
    expect(cols[0]!.cases.map((c) => c.id)).toEqual(['b', 'c', 'a']);
    expect(cols[6]!.cases.map((c) => c.id)).toEqual(['d']);
  });

  it('tells overdue, due soon and in time from the next stage’s deadline', () => {
    const c = card({ stage: 'dispatched', deadlines: { disposed: T0 + 2 * HOUR } });
    expect(deadlineState(c, T0)).toBe('ok');
    expect(deadlineState(c, T0 + HOUR + 1)).toBe('soon');
    expect(deadlineState(c, T0 + 2 * HOUR)).toBe('overdue');
    expect(deadlineState(card({ stage: 'revisited' }), T0)).toBe('none');
    expect(deadlineState(card({ stage: 'revisited', overdue: true }), T0)).toBe('overdue');
  });

  it('asks for what each action needs', () => {
    expect(actionFields('dispatch')).toEqual(['assignee', 'note']);
    expect(actionFields('verify')).toEqual(['passed', 'note']);
    expect(actionFields('extend')).toEqual(['until', 'reason']);
    expect(actionFields('accept')).toEqual(['note']);
  });

  it('has every word in both languages', () => {
    for (const [key, entry] of Object.entries(messages).filter(([k]) => k.startsWith('cases.'))) {
      expect(entry.zh, key).not.toBe('');
      expect(entry.en, key).not.toBe('');
    }
    expect(caseText('zh-CN', 'cases.rework', { n: 2 })).toBe('返工 2 次');
    expect(caseText('en', 'cases.stage.registered')).toBe('Registered');
    expect(historyLabel('zh-CN', 'overdue')).toBe('超时');
    expect(historyLabel('en', 'approve-extension')).toBe('Decide extension');
    expect(historyLabel('en', 'something-new')).toBe('something-new');
    expect(percent(0.9616)).toBe('96.16%');
    expect(percent(null)).toBe('—');
  });
});

describe('the case board’s client against a real hub', () => {
  let h: CaseHub;
  beforeAll(async () => {
    h = await startCaseHub(T0);
  });
  afterAll(async () => h?.stop());

  it('lists, reads, acts and reads the figures', async () => {
    const api = new Api({ base: h.hub.httpUrl });
    api.setToken(h.token('op'));
    const cases = caseApi(api);
    await h.as('zhang')({ method: 'POST', url: '/api/cases', payload: { title: '路灯不亮', category: 'facility', communityId: 'hx', gridCellId: 'g1', description: '', source: 'patrol' } });
    const [first] = await cases.list();
    expect(first).toMatchObject({ title: '路灯不亮', stage: 'reported' });
    expect((await cases.get(first!.id)).actions).toEqual(['accept', 'extend']);
    const accepted = await cases.act(first!.id, 'accept', { note: '收到' });
    expect(accepted.case.stage).toBe('accepted');
    expect(await cases.list({ stage: 'accepted' })).toHaveLength(1);
    expect((await cases.stats()).total).toBe(1);
    await expect(cases.act(first!.id, 'close', {})).rejects.toMatchObject({ status: 409, code: 'CASE_WRONG_STAGE' });
  });
});
