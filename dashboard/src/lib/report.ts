// The printable 日报 / 月报 (/report?scope=<community id|all>&period=day|month&date=…): what it
// asks the hub (the figures route, the same numbers as the workbook and GET /api/cases), and the
// small pure pieces its charts need.
import type { Api } from './api.ts';
import type { CaseFigureCounts, CaseRateKey } from '#devices/cases.ts';
import type { HubCase } from './cases.ts';

export interface ReportQuery {
  /** a community's id, or 'all': the whole sub-district the caller may see */
  scope: string;
  period: 'day' | 'month';
  date: string;
}

export type RateKey = CaseRateKey;
export type Figures = CaseFigureCounts & { rates: Record<RateKey, number | null> };
type Grouped = Figures & { from: number; to: number; groups: ({ key: string } & Figures)[] };

/** Each rate's count over the count its definition names (docs/cases.md). */
export const RATE_PARTS: Record<RateKey, [keyof Figures, keyof Figures]> = {
  closure: ['closed', 'total'],
  onTimeClosure: ['closedOnTime', 'closed'],
  onTimeDisposal: ['disposedOnTime', 'disposed'],
  rework: ['reworked', 'disposed'],
  extension: ['extended', 'total'],
  firstTime: ['firstTimeDone', 'closed'],
  satisfaction: ['satisfied', 'revisited'],
};
/** Rates where less is better: their bars are drawn in the warning colour. */
export const LOWER_IS_BETTER: ReadonlySet<RateKey> = new Set(['rework', 'extension']);

export function parseReportQuery(search: string): ReportQuery | null {
  const q = new URLSearchParams(search);
  const period = q.get('period');
  const date = q.get('date') ?? '';
  if (period !== 'day' && period !== 'month') return null;
  if (!(period === 'day' ? /^\d{4}-\d{2}-\d{2}$/ : /^\d{4}-\d{2}$/).test(date)) return null;
  return { scope: q.get('scope') || 'all', period, date };
}

export interface ReportData {
  figures: Grouped;
  byCategory: ({ key: string } & Figures)[];
  /** cells of a community, or the communities of the sub-district */
  byPlace: ({ key: string } & Figures)[];
  byCommunity: ({ key: string } & Figures)[];
  byDay: ({ key: string } & Figures)[];
  overdue: HubCase[];
  categories: Map<string, { zh: string; en: string }>;
}

export async function loadReport(api: Api, q: ReportQuery): Promise<ReportData> {
  const base = new URLSearchParams({ period: q.period, date: q.date, ...(q.scope !== 'all' ? { communityId: q.scope } : {}) });
  const stats = (groupBy: string) => api.request<Grouped>('GET', `/api/stats/cases?${base}&groupBy=${groupBy}`);
  const [byCategory, byCell, byCommunity, byDay, cats] = await Promise.all([
    stats('category'),
    stats('cell'),
    stats('community'),
    stats('day'),
    api.request<{ categories: { id: string; name: { zh: string; en: string } }[] }>('GET', '/api/cases/categories'),
  ]);
  const list = new URLSearchParams({ overdue: 'true', from: String(byCategory.from), to: String(byCategory.to), limit: '10000', ...(q.scope !== 'all' ? { communityId: q.scope } : {}) });
  const overdue = (await api.request<{ cases: HubCase[] }>('GET', `/api/cases?${list}`)).cases;
  return {
    figures: byCategory,
    byCategory: byCategory.groups,
    byPlace: (q.scope === 'all' ? byCommunity : byCell).groups,
    byCommunity: byCommunity.groups,
    byDay: byDay.groups,
    overdue: overdue.sort((a, b) => a.code.localeCompare(b.code)),
    categories: new Map(cats.categories.map((c) => [c.id, c.name])),
  };
}

/** The largest groups first (ties by key), at most n. */
export function top<T extends { key: string; total: number }>(groups: readonly T[], n: number): T[] {
  return [...groups].sort((a, b) => b.total - a.total || (a.key < b.key ? -1 : 1)).slice(0, n);
}

/** Every day of the month (YYYY-MM-DD), so a day with no cases shows as an empty column. */
export function daysOf(month: string): string[] {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const n = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return Array.from({ length: n }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')}`);
}
