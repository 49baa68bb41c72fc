import { describe, expect, it } from 'vitest';
import { CASE_ACTIONS, CASE_STAGES, type Case, type CaseAction, type CaseStage } from '../../server/src/cases/model.ts';
import type { CaseActor, CaseRole } from '../../server/src/cases/roles.ts';
import { caseActorFor } from '../../server/src/cases/roles.ts';
import { ACTION_RULES, allowedActions, applyAction, createCase, type ActionInput, type DeadlinePlanner } from '../../server/src/cases/stages.ts';
import { GridModel } from '../../server/src/grid/model.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 1, 0); // a fixed Monday, 09:00 China time
// Plain offsets keep these tests about stages; working time has its own tests.
const offsets: Partial<Record<CaseStage, number>> = { accepted: 30, registered: 60, dispatched: 60, disposed: 2880, verified: 240, closed: 7200, revisited: 10080 };
const planner: DeadlinePlanner = (target, from) => (offsets[target] === undefined ? undefined : from + offsets[target]! * MIN);

const actor = (username: string, ...roles: CaseRole[]): CaseActor => ({ username, ids: new Set([username]), roles: new Set(roles) });
const control = actor('op', 'control');
const supervisor = actor('sup', 'supervisor');
const worker = actor('w1', 'worker');
const viewer = actor('v', 'viewer');

function fresh(at = T0): Case {
  return createCase({ title: '楼道堆物', category: 'hazard', description: '3 号楼楼道堆放纸箱', source: 'patrol', communityId: 'hx', gridCellId: 'g1' }, { id: 'k1', code: 'HX-20260105-0001' }, 'w1', at, planner);
}

/** Walks a case along the happy path up to (and including) `until`. */
function walk(until: CaseStage, start = fresh()): Case {
  const steps: [CaseAction, ActionInput, CaseActor][] = [
    ['accept', {}, control],
    ['register', {}, control],
    ['dispatch', { assignee: 'w1' }, control],
    ['dispose', { note: '已清理' }, worker],
    ['verify', { passed: true, note: '现场已清' }, supervisor],
    ['close', {}, control],
    ['revisit', { satisfied: true, note: '居民满意' }, control],
  ];
  let c = start;
  let t = start.createdAt;
  for (const [action, input, who] of steps) {
    if (c.stage === until) break;
    t += MIN;
    c = applyAction(c, action, input, who, t, planner);
  }
  return c;
}

describe('case stages', () => {
  it('a new case is reported, with the accept and whole-case clocks running', () => {
    const c = fresh();
    expect(c).toMatchObject({ stage: 'reported', overdue: false, reworkCount: 0, deadlines: { accepted: T0 + 30 * MIN, closed: T0 + 7200 * MIN } });
    expect(c.history).toEqual([{ at: T0, action: 'reported', by: 'w1', stage: 'reported', detail: { source: 'patrol' } }]);
  });

  it('walks 上报→受理→立案→派遣→处置→核查→结案→回访, each step with who, when, note', () => {
    const c = walk('revisited');
    expect(c.stage).toBe('revisited');
    expect(c.history.map((h) => [h.action, h.by, h.stage])).toEqual([
      ['reported', 'w1', 'reported'],
      ['accept', 'op', 'accepted'],
      ['register', 'op', 'registered'],
      ['dispatch', 'op', 'dispatched'],
      ['dispose', 'w1', 'disposed'],
      ['verify', 'sup', 'verified'],
      ['close', 'op', 'closed'],
      ['revisit', 'op', 'revisited'],
    ]);
    expect(c.history[4]).toMatchObject({ at: T0 + 4 * MIN, note: '已清理' });
    expect(c).toMatchObject({ assignee: 'w1', satisfied: true });
    for (const s of CASE_STAGES) expect(c.stageAt[s]).toBe(T0 + CASE_STAGES.indexOf(s) * MIN);
    // Each stage's deadline counts from the stage before it; closing from the report.
    expect(c.deadlines).toEqual({
      accepted: T0 + 30 * MIN,
      registered: T0 + MIN + 60 * MIN,
      dispatched: T0 + 2 * MIN + 60 * MIN,
      disposed: T0 + 3 * MIN + 2880 * MIN,
      verified: T0 + 4 * MIN + 240 * MIN,
      closed: T0 + 7200 * MIN,
      revisited: T0 + 6 * MIN + 10080 * MIN,
    });
  });

  it('does not change the case it is given', () => {
    const c = fresh();
    applyAction(c, 'accept', {}, control, T0 + MIN, planner);
    expect(c.stage).toBe('reported');
    expect(c.history).toHaveLength(1);
  });

  it('refuses every action outside its stages with 409, and names the stage', () => {
    const stateActions = ['accept', 'register', 'dispatch', 'dispose', 'verify', 'close', 'revisit'] as const;
    const all = actor('root', 'control', 'supervisor', 'worker');
    for (const stage of CASE_STAGES) {
      const c = walk(stage);
      for (const action of stateActions) {
        const allowed = ACTION_RULES[action].from.includes(stage);
        const input: ActionInput = { note: 'n', assignee: 'w1', passed: true, satisfied: true };
        const run = () => applyAction(c, action, input, all, T0 + 100 * MIN, planner);
        if (allowed) expect(run, `${action} in ${stage}`).not.toThrow();
        else expect(run, `${action} in ${stage}`).toThrow(expect.objectContaining({ statusCode: 409, code: 'CASE_WRONG_STAGE', message: expect.stringContaining(stage) }));
      }
    }
    // The stage-free actions stop at closing.
    for (const action of ['extend', 'supervise', 'approve-extension'] as const) {
      expect(() => applyAction(walk('closed'), action, {}, all, T0 + 100 * MIN, planner)).toThrow(expect.objectContaining({ statusCode: 409 }));
    }
  });

  it('refuses an action to a role it is not for with 403, before looking at the stage', () => {
    const c = fresh();
    expect(() => applyAction(c, 'accept', {}, worker, T0, planner)).toThrow(expect.objectContaining({ statusCode: 403, code: 'CASE_ROLE_FORBIDDEN', message: 'a worker may not accept a case' }));
    expect(() => applyAction(c, 'close', {}, viewer, T0, planner)).toThrow(expect.objectContaining({ statusCode: 403 }));
    expect(() => applyAction(walk('disposed'), 'verify', { passed: true }, worker, T0, planner)).toThrow(expect.objectContaining({ statusCode: 403 }));
    expect(() => applyAction(c, 'supervise', {}, control, T0, planner)).toThrow(expect.objectContaining({ statusCode: 403 }));
    for (const action of CASE_ACTIONS) expect(() => applyAction(c, action, {}, viewer, T0, planner)).toThrow(expect.objectContaining({ statusCode: 403 }));
  });

  it('lists the actions one may take now', () => {
    expect(allowedActions(fresh(), control)).toEqual(['accept', 'extend']);
    expect(allowedActions(walk('dispatched'), worker)).toEqual(['dispose', 'extend', 'receive']);
    expect(allowedActions(walk('disposed'), supervisor)).toEqual(['verify', 'extend', 'approve-extension', 'supervise']);
    expect(allowedActions(walk('revisited'), control)).toEqual([]);
  });

  it('a grid worker disposes only what was dispatched to them', () => {
    const c = walk('dispatched');
    expect(() => applyAction(c, 'dispose', { note: 'x' }, actor('w2', 'worker'), T0 + 10 * MIN, planner)).toThrow(expect.objectContaining({ statusCode: 403 }));
    expect(applyAction(c, 'dispose', { note: '代录' }, control, T0 + 10 * MIN, planner).stage).toBe('disposed');
  });

  it('needs the fields each action names (400)', () => {
    expect(() => applyAction(walk('registered'), 'dispatch', {}, control, T0, planner)).toThrow(expect.objectContaining({ statusCode: 400 }));
    expect(() => applyAction(walk('dispatched'), 'dispose', { note: '  ' }, worker, T0, planner)).toThrow(expect.objectContaining({ statusCode: 400 }));
    expect(() => applyAction(walk('disposed'), 'verify', { note: 'x' }, supervisor, T0, planner)).toThrow(expect.objectContaining({ statusCode: 400 }));
    expect(() => applyAction(walk('disposed'), 'verify', { passed: false }, supervisor, T0, planner)).toThrow(/note/);
    expect(() => applyAction(walk('closed'), 'revisit', {}, control, T0, planner)).toThrow(expect.objectContaining({ statusCode: 400 }));
  });

  it('a failed check sends the case back to dispatched and counts rework; the disposal deadline stays', () => {
    const disposed = walk('disposed');
    const back = applyAction(disposed, 'verify', { passed: false, note: '纸箱仍在' }, supervisor, T0 + 10 * MIN, planner);
    expect(back).toMatchObject({ stage: 'dispatched', reworkCount: 1, assignee: 'w1' });
    expect(back.deadlines.disposed).toBe(disposed.deadlines.disposed);
    expect(back.history.at(-1)).toMatchObject({ action: 'verify', by: 'sup', note: '纸箱仍在', stage: 'dispatched', detail: { passed: false, rework: 1 } });
    const again = applyAction(back, 'dispose', { note: '已全部清走' }, worker, T0 + 20 * MIN, planner);
    const done = applyAction(again, 'verify', { passed: true }, supervisor, T0 + 30 * MIN, planner);
    expect(done).toMatchObject({ stage: 'verified', reworkCount: 1 });
  });

  it('dispatching again reassigns without restarting the disposal clock', () => {
    const c = walk('dispatched');
    const moved = applyAction(c, 'dispatch', { assignee: 'w2' }, control, T0 + 30 * MIN, planner);
    expect(moved).toMatchObject({ assignee: 'w2', stage: 'dispatched' });
    expect(moved.deadlines.disposed).toBe(c.deadlines.disposed);
    expect(moved.history.at(-1)!.detail).toEqual({ assignee: 'w2', reassigned: true });
  });

  it("a worker's extension waits for a supervisor; a supervisor's is granted at once", () => {
    const c = walk('dispatched');
    const due = c.deadlines.disposed!;
    const asked = applyAction(c, 'extend', { until: due + 24 * 60 * MIN, reason: '需等物业配合' }, worker, T0 + 10 * MIN, planner);
    expect(asked).toMatchObject({ extensionCount: 0, extensionRequest: { until: due + 24 * 60 * MIN, by: 'w1', stage: 'disposed' } });
    expect(asked.deadlines.disposed).toBe(due);
    expect(() => applyAction(asked, 'extend', { until: due + 1, reason: 'again' }, worker, T0 + 11 * MIN, planner)).toThrow(/already pending/);
    expect(() => applyAction(asked, 'approve-extension', { approved: true }, control, T0 + 12 * MIN, planner)).toThrow(expect.objectContaining({ statusCode: 403 }));
    const granted = applyAction(asked, 'approve-extension', { approved: true, note: '同意' }, supervisor, T0 + 12 * MIN, planner);
    expect(granted).toMatchObject({ extensionCount: 1, extensionRequest: null });
    expect(granted.deadlines.disposed).toBe(due + 24 * 60 * MIN);
    // The whole case is never due before one of its stages.
    expect(granted.deadlines.closed).toBe(Math.max(c.deadlines.closed!, due + 24 * 60 * MIN));

    const refused = applyAction(asked, 'approve-extension', { approved: false, note: '不同意' }, supervisor, T0 + 12 * MIN, planner);
    expect(refused).toMatchObject({ extensionCount: 0, extensionRequest: null });
    expect(refused.deadlines.disposed).toBe(due);
    expect(() => applyAction(refused, 'approve-extension', { approved: true }, supervisor, T0 + 13 * MIN, planner)).toThrow(/no extension request/);

    const direct = applyAction(c, 'extend', { until: due + MIN, reason: '雨天' }, supervisor, T0 + 10 * MIN, planner);
    expect(direct).toMatchObject({ extensionCount: 1, extensionRequest: null });
    expect(direct.deadlines.disposed).toBe(due + MIN);
  });

  it('an extension is asked for before the deadline, and moves it later', () => {
    const c = walk('dispatched');
    const due = c.deadlines.disposed!;
    expect(() => applyAction(c, 'extend', { until: due + MIN, reason: 'late' }, supervisor, due, planner)).toThrow(expect.objectContaining({ statusCode: 409 }));
    expect(() => applyAction(c, 'extend', { until: due - MIN, reason: 'earlier' }, supervisor, T0, planner)).toThrow(expect.objectContaining({ statusCode: 400 }));
    expect(() => applyAction(c, 'extend', { until: due + MIN }, supervisor, T0, planner)).toThrow(/reason/);
  });

  it('a supervisor flags a case for supervision (督办) once', () => {
    const c = applyAction(fresh(), 'supervise', { note: '群众反映强烈' }, supervisor, T0 + MIN, planner);
    expect(c).toMatchObject({ supervised: true, stage: 'reported' });
    expect(c.history.at(-1)).toMatchObject({ action: 'supervise', by: 'sup', note: '群众反映强烈' });
    expect(() => applyAction(c, 'supervise', {}, supervisor, T0 + 2 * MIN, planner)).toThrow(expect.objectContaining({ statusCode: 409 }));
  });

  it('reaching a stage after its deadline marks the case overdue', () => {
    const c = applyAction(fresh(), 'accept', {}, control, T0 + 31 * MIN, planner);
    expect(c).toMatchObject({ overdue: true, overdueStages: ['accepted'] });
  });
});

describe('who is what in a case', () => {
  const grid = new GridModel({
    workers: [
      { id: 'zhang', name: '张伟', role: 'worker', cells: ['g1'] },
      { id: 'li', name: '李娜', role: 'supervisor', cells: ['g1'] },
    ],
  });
  const p = (role: 'admin' | 'operator' | 'worker' | 'viewer', workerId: string | null = null) => ({ username: 'u', role, displayName: null, workerId, communities: null, cells: null });
  it('maps accounts onto case roles', () => {
    expect([...caseActorFor(p('admin'), grid).roles]).toEqual(['control', 'supervisor', 'worker']);
    expect([...caseActorFor(p('operator'), grid).roles]).toEqual(['control']);
    expect([...caseActorFor(p('operator', 'li'), grid).roles]).toEqual(['control', 'supervisor']);
    expect([...caseActorFor(p('worker', 'zhang'), grid).roles]).toEqual(['worker']);
    expect([...caseActorFor(p('worker', 'li'), grid).roles]).toEqual(['supervisor']);
    expect([...caseActorFor(p('viewer'), grid).roles]).toEqual(['viewer']);
    expect([...caseActorFor(p('worker', 'zhang'), grid).ids]).toEqual(['u', 'zhang']);
  });
});
