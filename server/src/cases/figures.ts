import { dayStamp } from './code.ts';
import { isFinished, type Case } from './model.ts';

/**
 * The assessment figures of a set of cases (docs/cases.md defines each one). Every rate is one
 * count over another count of the same answer, so anyone can recompute it from GET /api/cases.
 */
export interface CaseFigures {
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
  rates: {
    closure: number | null;
    onTimeClosure: number | null;
    onTimeDisposal: number | null;
    rework: number | null;
    extension: number | null;
    firstTime: number | null;
    satisfaction: number | null;
  };
  times: Record<`${TimeName}${'P50' | 'P90' | 'Mean'}Ms`, number | null> & Record<`${TimeName}Count`, number>;
}

export const GROUP_BYS = ['community', 'cell', 'category', 'worker', 'day', 'week', 'month'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

type TimeName = 'accept' | 'dispatch' | 'dispose' | 'close';

const rate = (n: number, d: number) => (d === 0 ? null : n / d);
/** No deadline set for the stage: nothing to be late for. */
const onTime = (at: number | undefined, deadline: number | undefined) => at !== undefined && (deadline === undefined || at <= deadline);

/** Milliseconds from the report to the first time each step happened (the first dispatch, the last disposal). */
function durations(c: Case): Partial<Record<TimeName, number>> {
  const firstDispatch = c.history.find((h) => h.action === 'dispatch')?.at;
  const out: Partial<Record<TimeName, number>> = {};
  if (c.stageAt.accepted !== undefined) out.accept = c.stageAt.accepted - c.createdAt;
  if (firstDispatch !== undefined) out.dispatch = firstDispatch - c.createdAt;
  if (c.stageAt.disposed !== undefined) out.dispose = c.stageAt.disposed - c.createdAt;
  if (c.stageAt.closed !== undefined) out.close = c.stageAt.closed - c.createdAt;
  return out;
}

/** Nearest-rank percentile of sorted values: the smallest value with at least p of them at or below it. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

export function caseFigures(cases: readonly Case[]): CaseFigures {
  let disposed = 0, closed = 0, closedOnTime = 0, disposedOnTime = 0, reworked = 0, extended = 0, firstTimeDone = 0, revisited = 0, satisfied = 0, overdue = 0;
  const spans: Record<TimeName, number[]> = { accept: [], dispatch: [], dispose: [], close: [] };
  for (const c of cases) {
    const wasDisposed = c.stageAt.disposed !== undefined;
    const wasClosed = isFinished(c);
    if (wasDisposed) disposed++;
    if (wasDisposed && onTime(c.stageAt.disposed, c.deadlines.disposed)) disposedOnTime++;
    if (wasClosed) closed++;
    if (wasClosed && onTime(c.stageAt.closed, c.deadlines.closed)) closedOnTime++;
    if (wasClosed && c.reworkCount === 0) firstTimeDone++;
    if (c.reworkCount > 0) reworked++;
    if (c.extensionCount > 0) extended++;
    if (c.stage === 'revisited') revisited++;
    if (c.stage === 'revisited' && c.satisfied === true) satisfied++;
    if (c.overdue) overdue++;
    for (const [k, v] of Object.entries(durations(c)) as [TimeName, number][]) spans[k].push(v);
  }
  const times = {} as CaseFigures['times'];
  for (const [k, list] of Object.entries(spans) as [TimeName, number[]][]) {
    list.sort((a, b) => a - b);
    times[`${k}P50Ms`] = percentile(list, 0.5);
    times[`${k}P90Ms`] = percentile(list, 0.9);
    times[`${k}MeanMs`] = list.length ? list.reduce((s, x) => s + x, 0) / list.length : null;
    times[`${k}Count`] = list.length;
  }
  const total = cases.length;
  return {
    total, disposed, closed, closedOnTime, disposedOnTime, reworked, extended, firstTimeDone, revisited, satisfied, overdue,
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
export function groupKey(c: Case, by: GroupBy, utcOffsetMin: number): string {
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

export function groupedFigures(cases: readonly Case[], by: GroupBy, utcOffsetMin: number): ({ key: string } & CaseFigures)[] {
  const groups = new Map<string, Case[]>();
  for (const c of cases) {
    const k = groupKey(c, by, utcOffsetMin);
    const list = groups.get(k);
    if (list) list.push(c);
    else groups.set(k, [c]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, list]) => ({ key, ...caseFigures(list) }));
}
