// 签收: the assigned grid worker accepts a dispatched case from the phone; the phone's report form
// reads the categories and sends the exact place in words.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCaseHub, type CaseHub } from './case-hub.ts';

const T0 = Date.UTC(2026, 0, 5, 1, 0);

describe('the worker accepts a dispatched case (签收)', () => {
  let h: CaseHub;
  beforeAll(async () => {
    h = await startCaseHub(T0);
  });
  afterAll(async () => h?.stop());
  const post = (user: string, url: string, payload: object = {}) => h.as(user)({ method: 'POST', url, payload });

  it('only the assigned worker, only while dispatched, once per dispatch; a failed check asks again', async () => {
    const id = (await post('zhang', '/api/cases', { title: 't', category: 'hazard', communityId: 'hx', gridCellId: 'g1', description: '', source: 'patrol', placeText: ' 3号楼东侧 ' })).body.case.id as string;
    expect(h.hub.cases.get(id)!.placeText).toBe('3号楼东侧');
    expect((await post('zhang', `/api/cases/${id}/receive`)).status).toBe(409);
    for (const [a, b] of [['accept', {}], ['register', {}], ['dispatch', { assignee: 'zhang' }]] as const) expect((await post('op', `/api/cases/${id}/${a}`, b)).status).toBe(200);
    expect((await h.as('zhang')({ method: 'GET', url: `/api/cases/${id}` })).body.actions).toContain('receive');
    // Not the control room's to do, nor another worker's.
    expect((await post('op', `/api/cases/${id}/receive`)).status).toBe(403);
    const wang = await post('wang', `/api/cases/${id}/receive`);
    expect(wang.status).toBe(403);
    const ok = await post('zhang', `/api/cases/${id}/receive`, { note: '马上到' });
    expect(ok.status).toBe(200);
    expect(ok.body.case.stage).toBe('dispatched');
    expect(ok.body.case.history.at(-1)).toMatchObject({ action: 'receive', by: 'zhang', note: '马上到' });
    expect((await post('zhang', `/api/cases/${id}/receive`)).status).toBe(409);
    expect((await post('zhang', `/api/cases/${id}/dispose`, { note: '已清理' })).status).toBe(200);
    expect((await post('op', `/api/cases/${id}/verify`, { passed: false, note: '没清干净' })).status).toBe(200);
    // Back for rework: accepting it again is the worker's.
    expect((await post('zhang', `/api/cases/${id}/receive`)).status).toBe(200);
  });

  it('serves the categories by name for the phone’s form', async () => {
    const res = await h.as('zhang')({ method: 'GET', url: '/api/cases/categories' });
    expect(res.status).toBe(200);
    expect(res.body.categories).toContainEqual({ id: 'hazard', name: expect.objectContaining({ zh: expect.any(String), en: expect.any(String) }) });
    expect((await h.as('public')({ method: 'GET', url: '/api/cases/categories' })).status).toBe(401);
  });
});
