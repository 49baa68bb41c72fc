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
    case 'community':
      return 'community_id';
    case 'cell':
      return `COALESCE(cell_id, '-')`;
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
 * The assessment figures computed by SQLite over the cases' fact columns (aggregates over the
 * covering index cases_figures); only the percentiles read one column a step, as numbers, never a case. Equal to figures.ts caseFigures / groupedFigures over the same cases: test/cases/figures-sql.test.ts.
 */
export class CaseFiguresQuery {
  constructor(private readonly db: Database.Database) {}

  figures(f: CaseFilter, scope: FiguresScope, utcOffsetMin: number): CaseFigures {
    return this.run(f, scope, undefined, utcOffsetMin).get('') ?? caseFigures([]);
  }

  /** Sorted by key as groupedFigures sorts them; groups with no cases are absent. */
  grouped(f: CaseFilter, scope: FiguresScope, by: GroupBy, utcOffsetMin: number): ({ key: string } & CaseFigures)[] {
    const groups = this.run(f, scope, by, utcOffsetMin);
    return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, g]) => ({ key, ...g }));
  }

  private run(f: CaseFilter, scope: FiguresScope, by: GroupBy | undefined, utcOffsetMin: number): Map<string, CaseFigures> {
    const { clause, args } = caseWhere(f);
    const where = [...clause];
    if (scope.communities !== null) (where.push('community_id IN (SELECT value FROM json_each(@scopeCommunities))'), (args.scopeCommunities = JSON.stringify([...scope.communities])));
    if (scope.cells !== null) (where.push('cell_id IN (SELECT value FROM json_each(@scopeCells))'), (args.scopeCells = JSON.stringify([...scope.cells])));
    args.offsetMs = utcOffsetMin * 60_000;
    const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const key = keySql(by);
    const spanSums = Object.entries(SPANS).map(([k, col]) => `COUNT(${col}) AS ${k}Count, SUM(${col} - created_at) AS ${k}Sum`);
    const counts = this.db
      .prepare(
        `SELECT ${key} AS key, COUNT(*) AS total,
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
          ${spanSums.join(',\n')}
        FROM cases ${whereSql} GROUP BY 1`,
      )
      .all(args) as Record<string, number | string>[];
    const out = new Map<string, CaseFigures>();
    for (const row of counts) {
      const n = (k: string) => Number(row[k] ?? 0);
      const times = {} as CaseFigures['times'];
      for (const t of Object.keys(SPANS) as TimeName[]) {
        const count = n(`${t}Count`);
        times[`${t}P50Ms`] = null;
        times[`${t}P90Ms`] = null;
        times[`${t}MeanMs`] = count ? n(`${t}Sum`) / count : null;
        times[`${t}Count`] = count;
      }
      out.set(String(row.key), withRates({ total: n('total'), disposed: n('disposed'), closed: n('closed'), closedOnTime: n('closedOnTime'), disposedOnTime: n('disposedOnTime'), reworked: n('reworked'), extended: n('extended'), firstTimeDone: n('firstTimeDone'), revisited: n('revisited'), satisfied: n('satisfied'), overdue: n('overdue') }, times));
    }
    // Nearest-rank percentiles: a window query per step costs several scans and sorts in SQLite;
    // one scan of the four span columns (covering index, raw rows) and a typed-array sort is far less.
    const names = Object.keys(SPANS) as TimeName[];
    const spanRows = this.db
      .prepare(`SELECT ${key} AS key, ${names.map((t) => `${SPANS[t]} - created_at`).join(', ')} FROM cases ${whereSql}`)
      .raw()
      .all(args) as (string | number | null)[][];
    const perGroup = new Map<string, number[][]>();
    for (const r of spanRows) {
      const k = String(r[0]);
      let lists = perGroup.get(k);
      if (!lists) perGroup.set(k, (lists = names.map(() => [])));
      for (let i = 0; i < names.length; i++) if (r[i + 1] !== null) lists[i]!.push(r[i + 1] as number);
    }
    for (const [k, lists] of perGroup) {
      const g = out.get(k);
      if (!g) continue;
      names.forEach((t, i) => {
        const sorted = Float64Array.from(lists[i]!).sort();
        if (!sorted.length) return;
        g.times[`${t}P50Ms`] = sorted[rankOf(0.5, sorted.length) - 1]!;
        g.times[`${t}P90Ms`] = sorted[rankOf(0.9, sorted.length) - 1]!;
      });
    }
    return out;
  }
}

