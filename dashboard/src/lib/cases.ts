// The control room's side of cases (事件): the routes it calls, the board's grouping, and the
// case screen's words in zh-CN and English (kept here beside the case board; same shape as i18n.ts).
import type { Api } from './api.ts';
import type { Locale } from './i18n.ts';
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

type Entry = { zh: string; en: string };

export const caseMessages = {
  'cases.title': { zh: '事件', en: 'Cases' },
  'cases.reload': { zh: '刷新', en: 'Reload' },
  'cases.export': { zh: '导出今日日报', en: 'Export today’s report' },
  'cases.empty': { zh: '暂无事件', en: 'No cases' },
  'cases.overdue': { zh: '超时', en: 'Overdue' },
  'cases.soon': { zh: '即将到期', en: 'Due soon' },
  'cases.supervised': { zh: '督办', en: 'Supervised' },
  'cases.rework': { zh: '返工 {n} 次', en: 'Reworked {n}×' },
  'cases.dueBy': { zh: '期限 {time}', en: 'Due {time}' },
  'cases.assignee': { zh: '处置人', en: 'Assignee' },
  'cases.note': { zh: '说明', en: 'Note' },
  'cases.reason': { zh: '理由', en: 'Reason' },
  'cases.until': { zh: '延至', en: 'Until' },
  'cases.passed': { zh: '核查通过', en: 'Check passed' },
  'cases.satisfied': { zh: '居民满意', en: 'Resident satisfied' },
  'cases.approved': { zh: '同意延期', en: 'Approve the extension' },
  'cases.send': { zh: '提交', en: 'Submit' },
  'cases.timeline': { zh: '办理过程', en: 'Timeline' },
  'cases.pending': { zh: '延期申请待批：{reason}', en: 'Extension requested: {reason}' },
  'cases.source.alert': { zh: '告警', en: 'Alert' },
  'cases.source.patrol': { zh: '巡查上报', en: 'Patrol' },
  'cases.source.resident': { zh: '居民上报', en: 'Resident' },
  'cases.stage.reported': { zh: '上报', en: 'Reported' },
  'cases.stage.accepted': { zh: '受理', en: 'Accepted' },
  'cases.stage.registered': { zh: '立案', en: 'Registered' },
  'cases.stage.dispatched': { zh: '派遣', en: 'Dispatched' },
  'cases.stage.disposed': { zh: '处置', en: 'Disposed' },
  'cases.stage.verified': { zh: '核查', en: 'Verified' },
  'cases.stage.closed': { zh: '结案', en: 'Closed' },
  'cases.stage.revisited': { zh: '回访', en: 'Revisited' },
  'cases.action.accept': { zh: '受理', en: 'Accept' },
  'cases.action.register': { zh: '立案', en: 'Register' },
  'cases.action.dispatch': { zh: '派遣', en: 'Dispatch' },
  'cases.action.dispose': { zh: '处置完成', en: 'Disposed' },
  'cases.action.verify': { zh: '核查', en: 'Check' },
  'cases.action.close': { zh: '结案', en: 'Close' },
  'cases.action.revisit': { zh: '回访', en: 'Return visit' },
  'cases.action.extend': { zh: '申请延期', en: 'Ask for more time' },
  'cases.action.approve-extension': { zh: '审批延期', en: 'Decide extension' },
  'cases.action.supervise': { zh: '督办', en: 'Supervise' },
  'cases.history.reported': { zh: '上报', en: 'Reported' },
  'cases.history.reminded': { zh: '到期提醒', en: 'Reminder' },
  'cases.history.overdue': { zh: '超时', en: 'Overdue' },
  'cases.history.escalated': { zh: '升级上报', en: 'Escalated' },
  'cases.rate.closure': { zh: '结案率', en: 'Closure' },
  'cases.rate.onTimeClosure': { zh: '按期结案率', en: 'On-time closure' },
  'cases.rate.onTimeDisposal': { zh: '按期处置率', en: 'On-time disposal' },
  'cases.rate.rework': { zh: '返工率', en: 'Rework' },
  'cases.rate.extension': { zh: '延期率', en: 'Extension' },
  'cases.rate.firstTime': { zh: '一次完成率', en: 'First-time done' },
  'cases.rate.satisfaction': { zh: '满意率', en: 'Satisfaction' },
} satisfies Record<string, Entry>;

export type CaseMessageKey = keyof typeof caseMessages;

export function caseText(locale: Locale, key: CaseMessageKey, params: Record<string, string | number> = {}): string {
  const entry = caseMessages[key];
  const text = locale === 'en' ? entry.en : entry.zh;
  return text.replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? `{${k}}`));
}

/** A history entry's name: an action's, or what the hub did. */
export function historyLabel(locale: Locale, action: string): string {
  const key = (`cases.history.${action}` in caseMessages ? `cases.history.${action}` : `cases.action.${action}`) as CaseMessageKey;
  return key in caseMessages ? caseText(locale, key) : action;
}

export function percent(r: number | null): string {
  return r === null ? '—' : `${(r * 100).toFixed(2)}%`;
}
