import type Database from 'better-sqlite3';
import { caseFigures, rankOf, withRates, type CaseFigures, type GroupBy, type TimeName } from './figures.ts';
import { caseWhere, type CaseFilter } from './filter.ts';

/** Who may be counted: the caller's communities and cells (null: not limited), as in auth/roles.ts inScope. */
export interface FiguresScope {
  communities: ReadonlySet<string> | null;
  cells: ReadonlySet<string> | null;
}

const SPANS: Record<TimeName, string> = { accept: 'accepted_at', dispatch: 'first_dispatch_at', dispose: 'disposed_at', close: 'closed_at' };
const FINISHED = `stage IN ('closed', 'revisited')`;

/** The group key of a row, as figures.ts groupKey computes it (periods at the calendar's fixed UTC offset). */
function keySql(by: GroupBy | undefined): string {
  const local = `(created_at + @offsetMs) / 1000.0, 'unixepoch'`;
  switch (by) {
    case undefined:
      return `''`;
    // Unary +: grouping by a column must not lead the planner to cases_by_community, which
    // covers nothing (a table lookup per case).
    case 'community':
      return '+community_id';
    case 'cell':
      return `COALESCE(+cell_id, '-')`;
    case 'category':
      return 'category';
    case 'worker':
      return `COALESCE(assignee, '-')`;
    case 'day':
      return `strftime('%Y-%m-%d', ${local})`;
    case 'month':
      return `strftime('%Y-%m', ${local})`;
    case 'week':
      // The Monday on or before the day.
      return `date(${local}, '-6 days', 'weekday 1')`;
  }
}

/**
 * The assessment figures computed by SQLite over the cases' fact columns, in one pass over the
 * covering index cases_figures: the counts and sums, and each span's values as one JSON array per
 * group (far cheaper than a row per case through the driver), whose nearest-rank percentiles are
 * selected here. Grouped figures come with the overall ones from the same pass. Equal to figures.ts
 * caseFigures / groupedFigures over the same cases: test/cases/figures-sql.test.ts.
 */
export class CaseFiguresQuery {
  /**
   * Answers by query, valid while no case was written: `written` counts this connection's case
   * saves, SQLite's data_version any other connection's commits. A supervisor's screen and the
   * reports ask the same figures again and again between case events; any write recomputes.
   */
  private readonly cache = new Map<string, { at: string; answer: { overall: CaseFigures; groups: ({ key: string } & CaseFigures)[] } }>();
  private readonly dataVersion: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly written: () => number = () => 0,
  ) {
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
  }

  figures(f: CaseFilter, scope: FiguresScope, utcOffsetMin: number): CaseFigures {
    return this.withGroups(f, scope, undefined, utcOffsetMin).overall;
  }

  /** Sorted by key as groupedFigures sorts them; groups with no cases are absent. */
  grouped(f: CaseFilter, scope: FiguresScope, by: GroupBy, utcOffsetMin: number): ({ key: string } & CaseFigures)[] {
    return this.withGroups(f, scope, by, utcOffsetMin).groups;
  }

  /** The overall figures and (with `by`) the groups', from one pass. */
  withGroups(f: CaseFilter, scope: FiguresScope, by: GroupBy | undefined, utcOffsetMin: number): { overall: CaseFigures; groups: ({ key: string } & CaseFigures)[] } {
    const key = JSON.stringify([f, scope.communities && [...scope.communities].sort(), scope.cells && [...scope.cells].sort(), by ?? null, utcOffsetMin]);
    const at = `${this.written()}|${String(this.dataVersion.get())}`;
    const hit = this.cache.get(key);
    if (hit?.at === at) return structuredClone(hit.answer);
    const answer = this.compute(f, scope, by, utcOffsetMin);
    this.cache.delete(key);
    if (this.cache.size >= CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { at, answer: structuredClone(answer) });
    return answer;
  }

  private compute(f: CaseFilter, scope: FiguresScope, by: GroupBy | undefined, utcOffsetMin: number): { overall: CaseFigures; groups: ({ key: string } & CaseFigures)[] } {
    const rows = this.run(f, scope, by, utcOffsetMin);
    const groups = rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((r) => ({ key: r.key, ...figuresOf(r.counts, r.spans) }));
    if (!by) return { overall: rows[0] ? figuresOf(rows[0].counts, rows[0].spans) : caseFigures([]), groups: [] };
    if (!rows.length) return { overall: caseFigures([]), groups };
    const counts = {} as Record<string, number>;
    for (const r of rows) for (const [k, v] of Object.entries(r.counts)) counts[k] = (counts[k] ?? 0) + v;
    return { overall: figuresOf(counts, NAMES.map((_, i) => concat(rows.map((r) => r.spans[i]!)))), groups };
  }

  private run(f: CaseFilter, scope: FiguresScope, by: GroupBy | undefined, utcOffsetMin: number): { key: string; counts: Record<string, number>; spans: Float64Array[] }[] {
    const { clause, args } = caseWhere(f);
    const where = [...clause];
    if (scope.communities !== null) (where.push('community_id IN (SELECT value FROM json_each(@scopeCommunities))'), (args.scopeCommunities = JSON.stringify([...scope.communities])));
    if (scope.cells !== null) (where.push('cell_id IN (SELECT value FROM json_each(@scopeCells))'), (args.scopeCells = JSON.stringify([...scope.cells])));
    args.offsetMs = utcOffsetMin * 60_000;
    const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const spanSums = NAMES.map((t) => `COUNT(${SPANS[t]}) AS ${t}Count, SUM(${SPANS[t]} - created_at) AS ${t}Sum`);
    const spanLists = NAMES.map((t) => `json_group_array(${SPANS[t]} - created_at) FILTER (WHERE ${SPANS[t]} IS NOT NULL) AS ${t}List`);
    const rows = this.db
      .prepare(
        `SELECT ${keySql(by)} AS key, COUNT(*) AS total,
          SUM(disposed_at IS NOT NULL) AS disposed,
          SUM(${FINISHED}) AS closed,
          SUM(${FINISHED} AND closed_at IS NOT NULL AND (closed_due IS NULL OR closed_at <= closed_due)) AS closedOnTime,
          SUM(disposed_at IS NOT NULL AND (disposed_due IS NULL OR disposed_at <= disposed_due)) AS disposedOnTime,
          SUM(rework_count > 0) AS reworked,
          SUM(extension_count > 0) AS extended,
          SUM(${FINISHED} AND rework_count = 0) AS firstTimeDone,
          SUM(stage = 'revisited') AS revisited,
          SUM(stage = 'revisited' AND satisfied = 1) AS satisfied,
          SUM(overdue = 1) AS overdue,
          ${spanSums.join(',\n')},
          ${spanLists.join(',\n')}
        FROM cases ${whereSql} GROUP BY 1`,
      )
      .all(args) as Record<string, number | string | null>[];
    return rows.map((row) => {
      const counts: Record<string, number> = {};
      for (const [k, v] of Object.entries(row)) if (k !== 'key' && !k.endsWith('List')) counts[k] = Number(v ?? 0);
      const spans = NAMES.map((t) => Float64Array.from(JSON.parse(String(row[`${t}List`] ?? '[]')) as number[]));
      return { key: String(row.key), counts, spans };
    });
  }
}

const NAMES = Object.keys(SPANS) as TimeName[];
/** answers kept (distinct filters, scopes and groupings) */
const CACHED = 64;

function concat(lists: Float64Array[]): Float64Array {
  const out = new Float64Array(lists.reduce((n, l) => n + l.length, 0));
  let at = 0;
  for (const l of lists) (out.set(l, at), (at += l.length));
  return out;
}

/** Moves the k-th smallest (0-based) of a[lo..hi] to a[k], smaller ones before it, larger after (Hoare's selection): linear, not a sort. */
function select(a: Float64Array, k: number, lo = 0, hi = a.length - 1): number {
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k]!;
}

/** The figures of one group from its counts and its spans' values (reordered in place). */
function figuresOf(c: Record<string, number>, spans: Float64Array[]): CaseFigures {
  const n = (k: string) => c[k] ?? 0;
  const times = {} as CaseFigures['times'];
  NAMES.forEach((t, i) => {
    const count = n(`${t}Count`);
    const values = spans[i]!;
    const k50 = rankOf(0.5, values.length) - 1;
    // After the first selection everything from k50 on is at least a[k50]: the second looks there only.
    times[`${t}P50Ms`] = values.length ? select(values, k50) : null;
    times[`${t}P90Ms`] = values.length ? select(values, rankOf(0.9, values.length) - 1, k50) : null;
    times[`${t}MeanMs`] = count ? n(`${t}Sum`) / count : null;
    times[`${t}Count`] = count;
  });
  return withRates({ total: n('total'), disposed: n('disposed'), closed: n('closed'), closedOnTime: n('closedOnTime'), disposedOnTime: n('disposedOnTime'), reworked: n('reworked'), extended: n('extended'), firstTimeDone: n('firstTimeDone'), revisited: n('revisited'), satisfied: n('satisfied'), overdue: n('overdue') }, times);
}
