// The demo's cases (事件, docs/cases.md): a patrol report dispatched to the demo's grid worker, the
// scenario's fire alarm turned into a case and dispatched, one returned after a failed check
// (返工), and one nobody accepts, which goes overdue (超时) and is escalated by the deadline monitor.
import type { Case } from '../server/src/cases/model.ts';
import type { CaseActor } from '../server/src/cases/roles.ts';
import type { CaseService } from '../server/src/cases/service.ts';

export interface DemoCasesOptions {
  communityId: string;
  cellId: string | null;
  /** the grid worker the cases are dispatched to (the demo's worker login) */
  workerId: string;
  say: (line: string) => void;
}

// The control room and the cell's supervisor, as the demo's admin (who is both).
const ROOM: CaseActor = { username: 'admin', ids: new Set(['admin']), roles: new Set(['control', 'supervisor']) };

/** Plays the three cases at once and dispatches every fire-alarm case as it opens; returns a stop function. */
export function playDemoCases(cases: CaseService, o: DemoCasesOptions): { cases: Case[]; stop: () => void } {
  const worker: CaseActor = { username: o.workerId, ids: new Set([o.workerId]), roles: new Set(['worker']) };
  const place = { communityId: o.communityId, gridCellId: o.cellId };
  const dispatch = (c: Case, note: string) => {
    for (const [a, input] of [['accept', { note: '收到' }], ['register', {}], ['dispatch', { assignee: o.workerId, note }]] as const) c = cases.act(c.id, a, input, ROOM);
    return c;
  };

  const patrol = dispatch(
    cases.create({ title: '安全隐患：3号楼楼道堆放纸箱', category: 'hazard', description: '3号楼2单元楼道堆放大量纸箱，堵塞疏散通道', source: 'patrol', ...place, placeText: '3号楼2单元一楼楼道' }, o.workerId),
    '请今日清理',
  );
  o.say(`  ▶ case ${patrol.code}  巡查上报 (patrol report) → 派遣 to ${o.workerId}: ${patrol.title}`);

  let rework = dispatch(cases.create({ title: '安全隐患：消防通道被电动车占用', category: 'hazard', description: '东门消防通道停放电动车 5 辆', source: 'patrol', ...place, placeText: '东门消防通道' }, o.workerId), '请清理通道');
  rework = cases.act(rework.id, 'receive', {}, worker);
  rework = cases.act(rework.id, 'dispose', { note: '已劝离 3 辆' }, worker);
  rework = cases.act(rework.id, 'verify', { passed: false, note: '现场仍有 2 辆电动车' }, ROOM);
  o.say(`  ▶ case ${rework.code}  核查不通过 → 返工 (returned for rework): ${rework.title}`);

  const late = cases.create({ title: '火情消防：楼道内电动车充电', category: 'fire', description: '5号楼一楼楼道私拉电线给电动车充电', source: 'patrol', ...place }, o.workerId);
  o.say(`  ▶ case ${late.code}  left unaccepted: 超时 (overdue) in 5 minutes (fire cases: accept within 5 min, on the clock), then escalated`);

  // The scenario's fire alarm opens a case by itself (cases.autoFromAlerts); the control room dispatches it.
  const stop = cases.onChange((change) => {
    if (change.type !== 'created' || change.case.source !== 'alert') return;
    try {
      const c = dispatch(change.case, '请立即到场核实');
      o.say(`  ▶ case ${c.code}  告警转事件 (alarm → case) → 派遣 to ${o.workerId}: ${c.title}`);
    } catch (err) {
      o.say(`  (could not dispatch case ${change.case.code}: ${(err as Error).message})`);
    }
  });
  return { cases: [patrol, rework, late], stop };
}
