import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCaseHub, type CaseHub } from './case-hub.ts';

const MIN = 60_000;
const T0 = Date.UTC(2025, 10, 4, 1, 0); // Tuesday 2025-11-04 09:00 China time

describe('GET /api/stats/cases on a real hub', () => {
  let h: CaseHub;
  beforeAll(async () => {
    h = await startCaseHub(T0);
    const post = (user: string, url: string, payload: object = {}) => h.as(user)({ method: 'POST', url, payload });
    const report = async (communityId: string, gridCellId: string) =>
      (await post('opall', '/api/cases', { title: 't', category: 'hazard', communityId, gridCellId, description: '', source: 'patrol' })).body.case.id as string;
    const walk = async (id: string, steps: [string, object?][]) => {
      for (const [a, b] of steps) {
        h.clock.now += 10 * MIN;
        const res = await post('admin', `/api/cases/${id}/${a}`, b ?? {});
        if (res.status !== 200) throw new Error(`${a}: ${JSON.stringify(res.body)}`);
      }
    };
    const toDisposed: [string, object?][] = [['accept'], ['register'], ['dispatch', { assignee: 'zhang' }], ['dispose', { note: 'n' }]];
    const a = await report('hx', 'g1');
    await walk(a, [...toDisposed, ['verify', { passed: true }], ['close'], ['revisit', { satisfied: true }]]);
    const b = await report('hx', 'g1');
    await walk(b, [...toDisposed, ['verify', { passed: false, note: 'x' }], ['dispose', { note: 'n' }], ['verify', { passed: true }], ['close']]);
    const c = await report('hx', 'g2');
    await walk(c, [['accept']]);
    await report('yq', 'y1');
  });
  afterAll(async () => h?.stop());

  it('answers the contract shape, and reconciles with the case list', async () => {
    const stats = (await h.as('opall')({ method: 'GET', url: '/api/stats/cases' })).body;
    expect(stats).toMatchObject({ total: 4, disposed: 2, closed: 2, closedOnTime: 2, disposedOnTime: 2, reworked: 1, extended: 0, firstTimeDone: 1, revisited: 1, satisfied: 1 });
    expect(stats.rates).toEqual({ closure: 0.5, onTimeClosure: 1, onTimeDisposal: 1, rework: 0.5, extension: 0, firstTime: 0.5, satisfaction: 1 });
    expect(stats.times.acceptP50Ms).toBe(10 * MIN);
    const list = async (q: string) => (await h.as('opall')({ method: 'GET', url: `/api/cases?${q}` })).body.total as number;
    expect(stats.total).toBe(await list(''));
    expect(stats.closed).toBe((await list('stage=closed')) + (await list('stage=revisited')));
    expect(stats.revisited).toBe(await list('stage=revisited'));
  });

  it('filters and groups; the groups add up; a scoped caller counts only its own', async () => {
    const grouped = (await h.as('opall')({ method: 'GET', url: '/api/stats/cases?groupBy=cell' })).body;
    expect(grouped.groups.map((g: { key: string; total: number }) => [g.key, g.total])).toEqual([['g1', 2], ['g2', 1], ['y1', 1]]);
    expect((await h.as('opall')({ method: 'GET', url: '/api/stats/cases?communityId=yq' })).body.total).toBe(1);
    expect((await h.as('op')({ method: 'GET', url: '/api/stats/cases' })).body.total).toBe(3);
    expect((await h.as('zhang')({ method: 'GET', url: '/api/stats/cases' })).body.total).toBe(2);
    expect((await h.as('opall')({ method: 'GET', url: `/api/stats/cases?from=${T0 + 1}` })).body.total).toBe(3);
    expect((await h.as('opall')({ method: 'GET', url: '/api/stats/cases?groupBy=planet' })).status).toBe(400);
    const day = (await h.as('opall')({ method: 'GET', url: '/api/stats/cases?groupBy=day' })).body;
    expect(day.groups.map((g: { key: string }) => g.key)).toEqual(['2025-11-04']);
  });
});
