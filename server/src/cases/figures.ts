import { dayStamp } from './code.ts';
import type { CaseFigureCounts, CaseRateKey } from '#devices/cases.ts';
import { isFinished, type Case, type CaseStage } from './model.ts';

/**
 * What the figures read of a case, flat: the repository keeps these as columns beside the JSON,
 * so the figures over 100,000 cases never parse a history.
 */
export interface CaseFacts {
  communityId: string;
  gridCellId: string | null;
  category: string;
  assignee: string | null;
  createdAt: number;
  stage: CaseStage;
  overdue: boolean;
  acceptedAt: number | null;
  /** the first dispatch (a reassignment or a rework return is not one) */
  firstDispatchAt: number | null;
  /** the last disposal */
  disposedAt: number | null;
  disposedDue: number | null;
  closedAt: number | null;
  closedDue: number | null;
  reworkCount: number;
  extensionCount: number;
  satisfied: boolean | null;
}

export function factsOf(c: Case): CaseFacts {
  return {
    communityId: c.communityId,
    gridCellId: c.gridCellId,
    category: c.category,
    assignee: c.assignee,
    createdAt: c.createdAt,
    stage: c.stage,
    overdue: c.overdue,
    acceptedAt: c.stageAt.accepted ?? null,
    firstDispatchAt: c.history.find((h) => h.action === 'dispatch')?.at ?? null,
    disposedAt: c.stageAt.disposed ?? null,
    disposedDue: c.deadlines.disposed ?? null,
    closedAt: c.stageAt.closed ?? null,
    closedDue: c.deadlines.closed ?? null,
    reworkCount: c.reworkCount,
    extensionCount: c.extensionCount,
    satisfied: c.satisfied,
  };
}

/**
 * The assessment figures of a set of cases (docs/cases.md defines each one). Every rate is one
 * count over another count of the same answer, so anyone can recompute it from GET /api/cases.
 */
export interface CaseFigures extends CaseFigureCounts {
  rates: Record<CaseRateKey, number | null>;
  times: Record<`${TimeName}${'P50' | 'P90' | 'Mean'}Ms`, number | null> & Record<`${TimeName}Count`, number>;
}

export const GROUP_BYS = ['community', 'cell', 'category', 'worker', 'day', 'week', 'month'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

export type TimeName = 'accept' | 'dispatch' | 'dispose' | 'close';
export type FigureCounts = CaseFigureCounts;

const rate = (n: number, d: number) => (d === 0 ? null : n / d);
/** No deadline set for the stage: nothing to be late for. */
const onTime = (at: number | null, deadline: number | null) => at !== null && (deadline === null || at <= deadline);

/** The nearest rank (1-based) of percentile p among n values: ⌈p·n⌉, at least 1; in whole percent, as the SQL counts it (figures-sql.ts). */
export function rankOf(p: number, n: number): number {
  return Math.max(1, Math.ceil((Math.round(p * 100) * n) / 100));
}

/** Nearest-rank percentile of sorted values: the smallest value with at least p of them at or below it. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[rankOf(p, sorted.length) - 1]!;
}

export function caseFigures(cases: readonly CaseFacts[]): CaseFigures {
  let disposed = 0, closed = 0, closedOnTime = 0, disposedOnTime = 0, reworked = 0, extended = 0, firstTimeDone = 0, revisited = 0, satisfied = 0, overdue = 0;
  const spans: Record<TimeName, number[]> = { accept: [], dispatch: [], dispose: [], close: [] };
  for (const c of cases) {
    const wasDisposed = c.disposedAt !== null;
    const wasClosed = isFinished(c);
    if (wasDisposed) disposed++;
    if (wasDisposed && onTime(c.disposedAt, c.disposedDue)) disposedOnTime++;
    if (wasClosed) closed++;
    if (wasClosed && onTime(c.closedAt, c.closedDue)) closedOnTime++;
    if (wasClosed && c.reworkCount === 0) firstTimeDone++;
    if (c.reworkCount > 0) reworked++;
    if (c.extensionCount > 0) extended++;
    if (c.stage === 'revisited') revisited++;
    if (c.stage === 'revisited' && c.satisfied === true) satisfied++;
    if (c.overdue) overdue++;
    // Milliseconds from the report to each step.
    if (c.acceptedAt !== null) spans.accept.push(c.acceptedAt - c.createdAt);
    if (c.firstDispatchAt !== null) spans.dispatch.push(c.firstDispatchAt - c.createdAt);
    if (c.disposedAt !== null) spans.dispose.push(c.disposedAt - c.createdAt);
    if (c.closedAt !== null) spans.close.push(c.closedAt - c.createdAt);
  }
  const times = {} as CaseFigures['times'];
  for (const [k, list] of Object.entries(spans) as [TimeName, number[]][]) {
    list.sort((a, b) => a - b);
    times[`${k}P50Ms`] = percentile(list, 0.5);
    times[`${k}P90Ms`] = percentile(list, 0.9);
    times[`${k}MeanMs`] = list.length ? list.reduce((s, x) => s + x, 0) / list.length : null;
    times[`${k}Count`] = list.length;
  }
  return withRates({ total: cases.length, disposed, closed, closedOnTime, disposedOnTime, reworked, extended, firstTimeDone, revisited, satisfied, overdue }, times);
}

/** Each rate is one count over another (docs/cases.md); null when there is nothing to count over. */
export function withRates(counts: FigureCounts, times: CaseFigures['times']): CaseFigures {
  const { total, disposed, closed, closedOnTime, disposedOnTime, reworked, extended, firstTimeDone, revisited, satisfied } = counts;
  return {
    ...counts,
    rates: {
      closure: rate(closed, total),
      onTimeClosure: rate(closedOnTime, closed),
      onTimeDisposal: rate(disposedOnTime, disposed),
      rework: rate(reworked, disposed),
      extension: rate(extended, total),
      firstTime: rate(firstTimeDone, closed),
      satisfaction: rate(satisfied, revisited),
    },
    times,
  };
}

/** The group a case counts in; periods are calendar days in the calendar's time zone (weeks from Monday). */
export function groupKey(c: CaseFacts, by: GroupBy, utcOffsetMin: number): string {
  switch (by) {
    case 'community':
      return c.communityId;
    case 'cell':
      return c.gridCellId ?? '-';
    case 'category':
      return c.category;
    case 'worker':
      return c.assignee ?? '-';
    case 'day':
      return isoDay(dayStamp(c.createdAt, utcOffsetMin));
    case 'month':
      return isoDay(dayStamp(c.createdAt, utcOffsetMin)).slice(0, 7);
    case 'week': {
      const local = new Date(c.createdAt + utcOffsetMin * 60_000);
      const back = (local.getUTCDay() + 6) % 7;
      return isoDay(dayStamp(c.createdAt - back * 86_400_000, utcOffsetMin));
    }
  }
}

const isoDay = (d: string) => `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;

export function groupedFigures(cases: readonly CaseFacts[], by: GroupBy, utcOffsetMin: number): ({ key: string } & CaseFigures)[] {
  const groups = new Map<string, CaseFacts[]>();
  for (const c of cases) {
    const k = groupKey(c, by, utcOffsetMin);
    const list = groups.get(k);
    if (list) list.push(c);
    else groups.set(k, [c]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, list]) => ({ key, ...caseFigures(list) }));
}
