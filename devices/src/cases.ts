/** The case (事件) as the hub stores and serves it: shared by the server and the dashboard (docs/cases.md). */

/** 上报 受理 立案 派遣 处置 核查 结案 回访, in order. */
export const CASE_STAGES = ['reported', 'accepted', 'registered', 'dispatched', 'disposed', 'verified', 'closed', 'revisited'] as const;
export type CaseStage = (typeof CASE_STAGES)[number];

export const CASE_SOURCES = ['alert', 'patrol', 'resident'] as const;
export type CaseSource = (typeof CASE_SOURCES)[number];

/** The contract's actions, plus `approve-extension` (a supervisor's answer to a pending `extend`). */
export const CASE_ACTIONS = ['accept', 'register', 'dispatch', 'dispose', 'verify', 'close', 'revisit', 'extend', 'approve-extension', 'supervise', 'receive'] as const;
export type CaseAction = (typeof CASE_ACTIONS)[number];

export interface CaseHistoryEntry {
  at: number;
  /** an action, or what the hub did: created, reminded, overdue, escalated */
  action: string;
  by: string;
  /** the stage after this step */
  stage: CaseStage;
  note?: string;
  detail?: Record<string, unknown>;
}

export interface CasePhoto {
  id: string;
  type: string;
  bytes: number;
  /** the stage it came with when not the report's (a disposal's photos: disposed) */
  stage?: CaseStage;
}

export interface ExtensionRequest {
  until: number;
  reason: string;
  by: string;
  at: number;
  /** the stage whose deadline it moves */
  stage: CaseStage;
}

export interface Case {
  id: string;
  /** 一案一码, e.g. HX01-20261203-0007 */
  code: string;
  title: string;
  category: string;
  description: string;
  source: CaseSource;
  alertId: string | null;
  communityId: string;
  gridCellId: string | null;
  /** who reported: a username, `resident`, or `system` (an alert turned into a case) */
  reportedBy: string;
  /** how to reach a resident who reported (for 回访), when they left one */
  contact?: string;
  /** where, in words: the building and unit a resident named */
  placeText?: string;
  stage: CaseStage;
  createdAt: number;
  updatedAt: number;
  /** when the case first reached each stage (createdAt for reported) */
  stageAt: Partial<Record<CaseStage, number>>;
  /** by when each stage must be reached: `closed` counts from createdAt, the others from the stage before */
  deadlines: Partial<Record<CaseStage, number>>;
  /** a deadline passed before its stage was reached (超时); stays true */
  overdue: boolean;
  overdueStages: CaseStage[];
  /** deadlines already reminded of (`stage@deadline`), so a tick reminds once */
  reminded: string[];
  assignee: string | null;
  /** failed checks (核查不通过) */
  reworkCount: number;
  /** approved extensions (延期) */
  extensionCount: number;
  extensionRequest: ExtensionRequest | null;
  /** flagged for supervision (督办) */
  supervised: boolean;
  /** from the return visit (回访); null before it */
  satisfied: boolean | null;
  photos: CasePhoto[];
  history: CaseHistoryEntry[];
}

/** Whether the worker accepted (签收) the case since it was last sent to them (a dispatch, or a failed check). */
export function receivedSinceDispatch(c: Pick<Case, 'history'>): boolean {
  for (let i = c.history.length - 1; i >= 0; i--) {
    const h = c.history[i]!;
    if (h.action === 'receive') return true;
    if (h.action === 'dispatch' || (h.action === 'verify' && h.detail?.passed === false)) return false;
  }
  return false;
}

/** The assessment figures' counts (GET /api/stats/cases; docs/cases.md defines each one). */
export interface CaseFigureCounts {
  total: number;
  /** reached 处置 at least once */
  disposed: number;
  closed: number;
  closedOnTime: number;
  disposedOnTime: number;
  reworked: number;
  extended: number;
  firstTimeDone: number;
  revisited: number;
  satisfied: number;
  overdue: number;
}

export type CaseRateKey = 'closure' | 'onTimeClosure' | 'onTimeDisposal' | 'rework' | 'extension' | 'firstTime' | 'satisfaction';
