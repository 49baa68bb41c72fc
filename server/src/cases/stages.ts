import { CaseErrors } from './errors.ts';
import { nextStage, receivedSinceDispatch, type Case, type CaseAction, type CaseHistoryEntry, type CaseStage } from './model.ts';
import { roleName, type CaseActor, type CaseRole } from './roles.ts';

/** What an action carries (the route's body); each action reads its own fields. */
export interface ActionInput {
  note?: string;
  /** dispatch: the grid worker (id or username) */
  assignee?: string;
  /** verify */
  passed?: boolean;
  /** revisit */
  satisfied?: boolean;
  /** extend: the new deadline, ms */
  until?: number;
  reason?: string;
  /** approve-extension */
  approved?: boolean;
}

/** The deadline for reaching `target`, counted from `from` (working time per category: deadlines.ts). */
export type DeadlinePlanner = (target: CaseStage, from: number) => number | undefined;

const OPEN: readonly CaseStage[] = ['reported', 'accepted', 'registered', 'dispatched', 'disposed', 'verified'];

/** Per action: the stages it may start from, and who may take it. */
export const ACTION_RULES: Readonly<Record<CaseAction, { from: readonly CaseStage[]; roles: readonly CaseRole[] }>> = {
  accept: { from: ['reported'], roles: ['control', 'supervisor'] },
  register: { from: ['accepted'], roles: ['control', 'supervisor'] },
  // Dispatching again reassigns.
  dispatch: { from: ['registered', 'dispatched'], roles: ['control', 'supervisor'] },
  dispose: { from: ['dispatched'], roles: ['worker', 'supervisor', 'control'] },
  verify: { from: ['disposed'], roles: ['supervisor', 'control'] },
  close: { from: ['verified'], roles: ['control', 'supervisor'] },
  revisit: { from: ['closed'], roles: ['control'] },
  extend: { from: OPEN, roles: ['worker', 'supervisor', 'control'] },
  'approve-extension': { from: OPEN, roles: ['supervisor'] },
  supervise: { from: OPEN, roles: ['supervisor'] },
  // 签收: the assigned worker says they have it (the stage stays 派遣).
  receive: { from: ['dispatched'], roles: ['worker'] },
};

/** 403 for a role the action is not for, then 409 for a stage it does not start from. */
export function checkAllowed(c: Pick<Case, 'stage'>, action: CaseAction, actor: CaseActor): void {
  const rule = ACTION_RULES[action];
  if (!rule.roles.some((r) => actor.roles.has(r))) throw new CaseErrors.RoleForbidden(roleName(actor), action);
  if (!rule.from.includes(c.stage)) throw new CaseErrors.WrongStage(c.stage, pastTense(action));
}

/** The actions this actor may take on the case now (for screens: which buttons to show). */
export function allowedActions(c: Pick<Case, 'stage'>, actor: CaseActor): CaseAction[] {
  return (Object.keys(ACTION_RULES) as CaseAction[]).filter((a) => {
    const rule = ACTION_RULES[a];
    return rule.from.includes(c.stage) && rule.roles.some((r) => actor.roles.has(r));
  });
}

/** A new case's deadlines: accepting counts from the report, and so does closing (the whole case). */
export function initialDeadlines(createdAt: number, plan: DeadlinePlanner): Case['deadlines'] {
  const out: Case['deadlines'] = {};
  const accepted = plan('accepted', createdAt);
  const closed = plan('closed', createdAt);
  if (accepted !== undefined) out.accepted = accepted;
  if (closed !== undefined) out.closed = closed;
  return out;
}

/**
 * Takes one action on a case and returns the changed copy (the input is not touched). Throws
 * 403 / 409 / 400 before changing anything. Every step appends who, when and the note.
 */
export function applyAction(current: Case, action: CaseAction, input: ActionInput, actor: CaseActor, now: number, plan: DeadlinePlanner): Case {
  checkAllowed(current, action, actor);
  const c = structuredClone(current);
  const note = input.note?.trim() || undefined;
  const step = (detail?: Record<string, unknown>) => record(c, { at: now, action, by: actor.username, ...(note ? { note } : {}), ...(detail ? { detail } : {}) });
  switch (action) {
    case 'accept':
      enter(c, 'accepted', now, plan);
      step();
      break;
    case 'register':
      enter(c, 'registered', now, plan);
      step();
      break;
    case 'dispatch': {
      const assignee = input.assignee?.trim();
      if (!assignee) throw new CaseErrors.BadInput('dispatch needs an assignee');
      const reassigned = c.stage === 'dispatched';
      c.assignee = assignee;
      enter(c, 'dispatched', now, plan);
      step({ assignee, ...(reassigned ? { reassigned: true } : {}) });
      break;
    }
    case 'dispose':
      if (!note) throw new CaseErrors.BadInput('dispose needs a note saying what was done');
      // A grid worker disposes what was dispatched to them; supervisors and the control room may record anyone's.
      if (!actor.roles.has('supervisor') && !actor.roles.has('control') && c.assignee !== null && !actor.ids.has(c.assignee)) {
        throw new CaseErrors.RoleForbidden('worker', `dispose a case dispatched to ${c.assignee}: only that worker may`);
      }
      enter(c, 'disposed', now, plan);
      step();
      break;
    case 'verify':
      if (typeof input.passed !== 'boolean') throw new CaseErrors.BadInput('verify needs passed: true or false');
      if (input.passed) {
        enter(c, 'verified', now, plan);
        step({ passed: true });
      } else {
        if (!note) throw new CaseErrors.BadInput('a failed check needs a note saying what is still wrong');
        // 核查不通过: back to the worker (返工); the disposal deadline stays the original one.
        c.reworkCount++;
        c.stage = 'dispatched';
        c.stageAt.dispatched = now;
        step({ passed: false, rework: c.reworkCount });
      }
      break;
    case 'close':
      enter(c, 'closed', now, plan);
      step();
      break;
    case 'revisit':
      if (typeof input.satisfied !== 'boolean') throw new CaseErrors.BadInput('revisit needs satisfied: true or false');
      c.satisfied = input.satisfied;
      enter(c, 'revisited', now, plan);
      step({ satisfied: input.satisfied });
      break;
    case 'extend':
      extend(c, input, actor, now, step);
      break;
    case 'approve-extension': {
      const request = c.extensionRequest;
      if (!request) throw new CaseErrors.Conflict('no extension request is pending');
      if (typeof input.approved !== 'boolean') throw new CaseErrors.BadInput('approve-extension needs approved: true or false');
      c.extensionRequest = null;
      if (input.approved) grantExtension(c, request.stage, request.until);
      step({ approved: input.approved, until: request.until, stage: request.stage, requestedBy: request.by });
      break;
    }
    case 'receive':
      if (c.assignee === null || !actor.ids.has(c.assignee)) throw new CaseErrors.RoleForbidden('worker', `accept a case dispatched to ${c.assignee ?? 'nobody'}: only that worker may`);
      if (receivedSinceDispatch(c)) throw new CaseErrors.Conflict('the case is already accepted by its worker');
      step();
      break;
    case 'supervise':
      if (c.supervised) throw new CaseErrors.Conflict('the case is already flagged for supervision (督办)');
      c.supervised = true;
      step();
      break;
  }
  c.updatedAt = now;
  return c;
}

/** 延期: a supervisor's request is granted at once; anyone else's waits for a supervisor. */
function extend(c: Case, input: ActionInput, actor: CaseActor, now: number, step: (detail?: Record<string, unknown>) => void): void {
  const target = nextStage(c.stage)!;
  const reason = input.reason?.trim();
  if (!reason) throw new CaseErrors.BadInput('extend needs a reason');
  if (typeof input.until !== 'number' || !Number.isFinite(input.until)) throw new CaseErrors.BadInput('extend needs until (a time)');
  const deadline = c.deadlines[target];
  if (deadline === undefined) throw new CaseErrors.Conflict(`stage ${target} has no deadline to extend`);
  if (now >= deadline) throw new CaseErrors.Conflict(`the ${target} deadline has passed: an extension is asked for before it`);
  if (input.until <= deadline) throw new CaseErrors.BadInput(`until must be later than the current ${target} deadline`);
  if (c.extensionRequest) throw new CaseErrors.Conflict('an extension request is already pending');
  if (actor.roles.has('supervisor')) {
    grantExtension(c, target, input.until);
    step({ until: input.until, reason, stage: target, approved: true });
    return;
  }
  c.extensionRequest = { until: input.until, reason, by: actor.username, at: now, stage: target };
  step({ until: input.until, reason, stage: target, pending: true });
}

function grantExtension(c: Case, stage: CaseStage, until: number): void {
  c.deadlines[stage] = until;
  // The whole case cannot be due before one of its stages.
  if (stage !== 'closed' && c.deadlines.closed !== undefined && c.deadlines.closed < until) c.deadlines.closed = until;
  c.reminded = c.reminded.filter((r) => !r.startsWith(`${stage}@`) && !r.startsWith('closed@'));
  c.extensionCount++;
}

/** Moves the case into `stage` and starts the clock of the stage after it (unless already running). */
function enter(c: Case, stage: CaseStage, now: number, plan: DeadlinePlanner): void {
  c.stage = stage;
  c.stageAt[stage] = now;
  const deadline = c.deadlines[stage];
  // Reached late without the monitor having seen it (it ticks once a second): still 超时.
  if (deadline !== undefined && now > deadline && !c.overdueStages.includes(stage)) {
    c.overdue = true;
    c.overdueStages.push(stage);
  }
  const next = nextStage(stage);
  if (next && next !== 'closed' && c.deadlines[next] === undefined) {
    const due = plan(next, now);
    if (due !== undefined) c.deadlines[next] = due;
  }
}

export function record(c: Case, entry: Omit<CaseHistoryEntry, 'stage'>): void {
  c.history.push({ ...entry, stage: c.stage } as CaseHistoryEntry);
}

function pastTense(action: CaseAction): string {
  const words: Record<CaseAction, string> = {
    accept: 'accepted',
    register: 'registered',
    dispatch: 'dispatched',
    dispose: 'disposed',
    verify: 'verified',
    close: 'closed',
    revisit: 'revisited',
    extend: 'extended',
    'approve-extension': 'given an extension decision',
    supervise: 'flagged for supervision',
    receive: 'accepted by its worker',
  };
  return words[action];
}

export interface NewCase {
  title: string;
  category: string;
  description: string;
  source: Case['source'];
  communityId: string;
  gridCellId: string | null;
  alertId?: string | null;
  photos?: Case['photos'];
  contact?: string;
  placeText?: string;
}

/** A case as reported (上报): its clock for accepting and for the whole case starts now. */
export function createCase(input: NewCase, ids: { id: string; code: string }, reportedBy: string, now: number, plan: DeadlinePlanner): Case {
  const c: Case = {
    id: ids.id,
    code: ids.code,
    title: input.title,
    category: input.category,
    description: input.description,
    source: input.source,
    alertId: input.alertId ?? null,
    communityId: input.communityId,
    gridCellId: input.gridCellId,
    reportedBy,
    ...(input.contact ? { contact: input.contact } : {}),
    ...(input.placeText ? { placeText: input.placeText } : {}),
    stage: 'reported',
    createdAt: now,
    updatedAt: now,
    stageAt: { reported: now },
    deadlines: initialDeadlines(now, plan),
    overdue: false,
    overdueStages: [],
    reminded: [],
    assignee: null,
    reworkCount: 0,
    extensionCount: 0,
    extensionRequest: null,
    supervised: false,
    satisfied: null,
    photos: input.photos ?? [],
    history: [],
  };
  record(c, { at: now, action: 'reported', by: reportedBy, detail: { source: input.source, ...(input.alertId ? { alertId: input.alertId } : {}) } });
  return c;
}
