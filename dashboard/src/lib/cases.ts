// The control room's side of cases (事件): the routes it calls, the board's grouping, and the
// case screen's words in zh-CN and English (kept here beside the case board; same shape as i18n.ts).
import type { Api } from './api.ts';
import { messages, translate, type Locale, type MessageKey, type Params } from './i18n.ts';
import { CASE_STAGES, type Case, type CaseAction, type CaseStage } from '#devices/cases.ts';

export { CASE_STAGES } from '#devices/cases.ts';
export type { CaseAction, CaseHistoryEntry, CaseStage } from '#devices/cases.ts';
/** A case as GET /api/cases serves it. */
export type HubCase = Case;

export interface CaseStats {
  total: number;
  closed: number;
  overdue: number;
  rates: Record<'closure' | 'onTimeClosure' | 'onTimeDisposal' | 'rework' | 'extension' | 'firstTime' | 'satisfaction', number | null>;
}

export const RATE_KEYS = ['closure', 'onTimeClosure', 'onTimeDisposal', 'rework', 'extension', 'firstTime', 'satisfaction'] as const;

export const caseApi = (api: Api) => ({
  list: async (q: { stage?: CaseStage; communityId?: string } = {}) => {
    const sp = new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => typeof e[1] === 'string'));
    return (await api.request<{ total: number; cases: HubCase[] }>('GET', `/api/cases${sp.size ? `?${sp}` : ''}`)).cases;
  },
  get: (id: string) => api.request<{ case: HubCase; actions: CaseAction[] }>('GET', `/api/cases/${encodeURIComponent(id)}`),
  act: (id: string, action: CaseAction, body: Record<string, unknown>) => api.request<{ case: HubCase; actions: CaseAction[] }>('POST', `/api/cases/${encodeURIComponent(id)}/${action}`, body),
  stats: () => api.request<CaseStats>('GET', '/api/stats/cases'),
});

/** The board's columns: every stage, each with its cases, overdue first, then the oldest. */
export function byStage(cases: readonly HubCase[]): { stage: CaseStage; cases: HubCase[] }[] {
  return CASE_STAGES.map((stage) => ({
    stage,
    cases: cases.filter((c) => c.stage === stage).sort((a, b) => Number(b.overdue) - Number(a.overdue) || a.createdAt - b.createdAt),
  }));
}

/** The deadline the case runs against now: the next stage's. */
export function currentDeadline(c: Pick<HubCase, 'stage' | 'deadlines'>): number | undefined {
  const next = CASE_STAGES[CASE_STAGES.indexOf(c.stage) + 1];
  return next ? c.deadlines[next] : undefined;
}

/** overdue, due within the hour, or in time; none once there is no deadline running. */
export function deadlineState(c: Pick<HubCase, 'stage' | 'deadlines' | 'overdue'>, now: number): 'overdue' | 'soon' | 'ok' | 'none' {
  const due = currentDeadline(c);
  if (due === undefined) return c.overdue ? 'overdue' : 'none';
  if (now >= due || c.overdue) return 'overdue';
  return due - now <= 3_600_000 ? 'soon' : 'ok';
}

/** What an action needs asked of the person before it is sent. */
export function actionFields(action: CaseAction): ('note' | 'assignee' | 'passed' | 'satisfied' | 'until' | 'reason' | 'approved')[] {
  switch (action) {
    case 'dispatch':
      return ['assignee', 'note'];
    case 'verify':
      return ['passed', 'note'];
    case 'revisit':
      return ['satisfied', 'note'];
    case 'extend':
      return ['until', 'reason'];
    case 'approve-extension':
      return ['approved', 'note'];
    default:
      return ['note'];
  }
}


export type CaseMessageKey = Extract<MessageKey, `cases.${string}`>;

export function caseText(locale: Locale, key: CaseMessageKey, params: Params = {}): string {
  return translate(locale, key, params);
}

/** A history entry's name: an action's, or what the hub did. */
export function historyLabel(locale: Locale, action: string): string {
  const key = (`cases.history.${action}` in messages ? `cases.history.${action}` : `cases.action.${action}`) as CaseMessageKey;
  return key in messages ? caseText(locale, key) : action;
}

export function percent(r: number | null): string {
  return r === null ? '—' : `${(r * 100).toFixed(2)}%`;
}
