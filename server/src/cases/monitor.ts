import type { GridModel, Person } from '../grid/model.ts';
import { isFinished, nextStage, type Case, type CaseStage } from './model.ts';
import type { CaseService } from './service.ts';

export interface CaseMonitorDeps {
  cases: CaseService;
  grid: GridModel;
  clock: () => number;
  /** remind when this share of a deadline's time has gone; default 0.75 */
  remindAtFraction?: number;
}

interface Due {
  stage: CaseStage;
  deadline: number;
  remindAt: number;
}

/**
 * Watches every open case's running deadlines — the next stage's and the whole case's: reminds
 * before a deadline, and at it marks the case overdue (超时) and escalates to the cell's supervisor
 * and the control-room lead. Each is a history entry and a case change (live dashboards).
 * tick() is cheap between due times: it only reads the cases when something is due.
 */
export class CaseDeadlineMonitor {
  private nextAt = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly d: CaseMonitorDeps) {}

  start(): void {
    // A new case or an action can bring a due time nearer than the one we wait for.
    this.unsubscribe = this.d.cases.onChange(({ case: c }) => {
      const next = this.nextDue(c);
      if (next !== undefined) this.nextAt = Math.min(this.nextAt, next);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  tick(): void {
    const now = this.d.clock();
    if (now < this.nextAt) return;
    let next = Infinity;
    for (const c of this.d.cases.unfinished()) {
      for (const due of this.running(c)) this.check(c.id, due, now);
      const after = this.d.cases.get(c.id);
      const at = after ? this.nextDue(after) : undefined;
      if (at !== undefined) next = Math.min(next, at);
    }
    this.nextAt = next;
  }

  private check(id: string, due: Due, now: number): void {
    const c = this.d.cases.get(id)!;
    const mark = `${due.stage}@${due.deadline}`;
    if (now >= due.deadline) {
      if (c.overdueStages.includes(due.stage)) return;
      this.d.cases.note(id, 'overdue', due.stage, this.responsible(c), (x) => {
        x.overdue = true;
        x.overdueStages.push(due.stage);
      });
      this.d.cases.note(id, 'escalated', due.stage, this.escalation(c), () => {}, { level: 1 });
      return;
    }
    if (now >= due.remindAt && !c.reminded.includes(mark)) {
      this.d.cases.note(id, 'reminded', due.stage, this.responsible(c), (x) => {
        x.reminded.push(mark);
      });
    }
  }

  /** The deadlines running now: the next stage's and, before closing, the whole case's. */
  private running(c: Case): Due[] {
    if (isFinished(c)) return [];
    const fraction = this.d.remindAtFraction ?? 0.75;
    const next = nextStage(c.stage);
    const out: Due[] = [];
    const add = (stage: CaseStage, since: number) => {
      const deadline = c.deadlines[stage];
      if (deadline === undefined || c.overdueStages.includes(stage)) return;
      out.push({ stage, deadline, remindAt: since + Math.max(0, deadline - since) * fraction });
    };
    if (next) add(next, c.stageAt[c.stage] ?? c.createdAt);
    if (next !== 'closed') add('closed', c.createdAt);
    return out;
  }

  private nextDue(c: Case): number | undefined {
    let at: number | undefined;
    for (const due of this.running(c)) {
      const t = c.reminded.includes(`${due.stage}@${due.deadline}`) ? due.deadline : due.remindAt;
      at = at === undefined ? t : Math.min(at, t);
    }
    return at;
  }

  /** Who must act next: the assigned worker, else the cell's workers (the control room sees every change). */
  private responsible(c: Case): Person[] {
    const assigned = c.assignee ? this.d.grid.person(c.assignee) : undefined;
    return assigned ? [assigned] : this.d.grid.cellWorkers(c.gridCellId);
  }

  private escalation(c: Case): Person[] {
    return [this.d.grid.supervisor(c.gridCellId), this.d.grid.controlRoomLead(c.communityId)].filter((p): p is Person => p !== undefined);
  }
}
