// `npm run demo`'s cases (scripts/demo-cases.ts) on a real hub with an injected clock: a patrol
// report dispatched, a fire alarm's case dispatched as it opens, one returned for rework, one overdue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playDemoCases } from '../../scripts/demo-cases.ts';
import { alert } from '../dashboard/fixtures.ts';
import { startCaseHub, type CaseHub } from './case-hub.ts';

const T0 = Date.UTC(2026, 0, 5, 2, 0); // a Monday, 10:00 China time
const MIN = 60_000;

describe('the demo’s cases', () => {
  let h: CaseHub;
  beforeAll(async () => {
    h = await startCaseHub(T0);
  });
  afterAll(async () => h?.stop());

  it('plays a patrol report, an alarm turned into a case, a rework and an overdue one', async () => {
    const lines: string[] = [];
    const demo = playDemoCases(h.hub.cases, { communityId: 'hx', cellId: 'g1', workerId: 'zhang', say: (l) => lines.push(l) });
    const [patrol, rework, late] = demo.cases.map((c) => h.hub.cases.get(c.id)!);
    expect(patrol).toMatchObject({ source: 'patrol', stage: 'dispatched', assignee: 'zhang', reworkCount: 0 });
    expect(rework).toMatchObject({ stage: 'dispatched', reworkCount: 1 });
    expect(rework!.history.filter((e) => e.action === 'dispose')).toHaveLength(1);
    expect(late).toMatchObject({ stage: 'reported', category: 'fire', overdue: false });

    const fromAlarm = h.hub.cases.fromAlert(alert({ id: 'a-demo', communityId: 'hx', gridCellId: 'g1', openedAt: T0 }), 'system');
    expect(h.hub.cases.get(fromAlarm.id)).toMatchObject({ source: 'alert', stage: 'dispatched', assignee: 'zhang' });

    h.clock.now = T0 + 6 * MIN;
    h.hub.caseMonitor.tick();
    const overdue = h.hub.cases.get(late!.id)!;
    expect(overdue.overdue).toBe(true);
    expect(overdue.history.map((e) => e.action)).toContain('escalated');
    // Only the one left unaccepted is late after six minutes.
    expect([patrol, rework].map((c) => h.hub.cases.get(c!.id)!.overdue)).toEqual([false, false]);
    expect(lines.join('\n')).toMatch(/巡查上报[\s\S]*返工[\s\S]*超时[\s\S]*告警转事件/);
    demo.stop();
  });
});
