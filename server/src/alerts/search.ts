import type Database from 'better-sqlite3';
import type { Alert, AlertState, Severity } from '#devices';
import type { CallerScope } from '../scope/caller-scope.ts';
import { AlertErrors } from './errors.ts';

/** What a search over stored alerts (open and past) may filter on; every field is optional. */
export interface AlertSearchQuery {
  /** opened at or after, epoch ms */
  from?: number;
  /** opened before, epoch ms */
  to?: number;
  communityId?: string;
  gridCellId?: string;
  kind?: string;
  type?: string;
  severity?: Severity;
  state?: AlertState | 'unresolved';
  /** a piece of the alert's id, device id or title */
  q?: string;
}

/** Where the previous page ended: the last alert's (opened time, id). */
export interface AlertCursor {
  openedAt: number;
  id: string;
}

export interface AlertSearchPage {
  alerts: Alert[];
  /** null on the last page */
  nextCursor: string | null;
}

export const SEARCH_PAGE_MAX = 500;
/** Rows one export query reads before giving the event loop back. */
export const EXPORT_CHUNK = 1000;

/**
 * What GET /api/alerts/search and the CSV export read: the hub's SQLite (AlertSearch) or, with
 * STATE_URL, the shared alerts table (state/pg/alert-search.ts), the same query either way.
 */
export interface AlertSearchSource {
  page(query: AlertSearchQuery, scope: CallerScope, opts?: { limit?: number; cursor?: string }): AlertSearchPage | Promise<AlertSearchPage>;
  all(query: AlertSearchQuery, scope: CallerScope): Iterable<Alert> | AsyncIterable<Alert>;
}

/** The page size asked for, within bounds, and the cursor decoded. */
export function pageRequest(opts: { limit?: number; cursor?: string }): { limit: number; after: AlertCursor | undefined } {
  return { limit: Math.min(SEARCH_PAGE_MAX, Math.max(1, opts.limit ?? 100)), after: opts.cursor ? decodeCursor(opts.cursor) : undefined };
}

/** A page from the `limit + 1` rows read: the extra row says whether another page follows. */
export function pageOf(rows: Alert[], limit: number): AlertSearchPage {
  const alerts = rows.slice(0, limit);
  const last = alerts[alerts.length - 1];
  return { alerts, nextCursor: rows.length > limit && last ? encodeCursor({ openedAt: last.openedAt, id: last.id }) : null };
}

export function encodeCursor(c: AlertCursor): string {
  return Buffer.from(JSON.stringify([c.openedAt, c.id])).toString('base64url');
}

export function decodeCursor(s: string): AlertCursor {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && Number.isFinite(v[0]) && typeof v[1] === 'string' && v[1].length <= 200) {
      return { openedAt: v[0], id: v[1] };
    }
  } catch {
    // falls through to the refusal
  }
  throw new AlertErrors.BadCursor();
}

/** `%` and `_` in what a person typed are literal characters, not LIKE wildcards. */
export const likeEscape = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Searches the alerts table newest first, paged by keyset on (opened_at, id) so page 10,000 costs
 * what page 1 does (OFFSET would read and drop every row before it). The caller's scope becomes
 * part of the WHERE clause, so a page is never short because of rows the caller may not see.
 */
export class AlertSearch implements AlertSearchSource {
  constructor(private readonly db: Database.Database) {}

  page(query: AlertSearchQuery, scope: CallerScope, opts: { limit?: number; cursor?: string } = {}): AlertSearchPage {
    const { limit, after } = pageRequest(opts);
    return pageOf(this.select(query, scope, after, limit + 1), limit);
  }

  /**
   * Every matching alert, newest first, one at a time. It reads in keyset chunks rather than
   * holding one SQLite iterator open across the consumer's awaits: better-sqlite3 refuses every
   * other statement on the connection while an iterator is open, and the hub keeps writing alerts
   * during an export. Memory stays at one chunk whatever the total.
   */
  *all(query: AlertSearchQuery, scope: CallerScope): Generator<Alert> {
    let after: AlertCursor | undefined;
    for (;;) {
      const chunk = this.select(query, scope, after, EXPORT_CHUNK);
      yield* chunk;
      const last = chunk[chunk.length - 1];
      if (chunk.length < EXPORT_CHUNK || !last) return;
      after = { openedAt: last.openedAt, id: last.id };
    }
  }

  private select(query: AlertSearchQuery, scope: CallerScope, after: AlertCursor | undefined, limit: number): Alert[] {
    const user = scope.user;
    if (!user) return [];
    const where: string[] = [];
    const params: Record<string, unknown> = { limit };
    const inList = (column: string, name: string, values: ReadonlySet<string>) => {
      const keys = [...values].map((v, i) => {
        params[`${name}${i}`] = v;
        return `@${name}${i}`;
      });
      where.push(keys.length ? `${column} IN (${keys.join(', ')})` : '0');
    };
    // The scope first: the same rule as canSeeAlert, in SQL.
    if (user.communities !== null) inList('community_id', 'sc', user.communities);
    if (user.cells !== null) inList('cell_id', 'sl', user.cells);
    const eq = (column: string, key: keyof AlertSearchQuery) => {
      if (query[key] === undefined) return;
      where.push(`${column} = @${key}`);
      params[key] = query[key];
    };
    eq('community_id', 'communityId');
    eq('cell_id', 'gridCellId');
    eq('kind', 'kind');
    eq('type', 'type');
    eq('severity', 'severity');
    if (query.state === 'unresolved') where.push(`state != 'resolved'`);
    else eq('state', 'state');
    if (query.from !== undefined) {
      where.push('opened_at >= @from');
      params.from = query.from;
    }
    if (query.to !== undefined) {
      where.push('opened_at < @to');
      params.to = query.to;
    }
    if (query.q) {
      where.push(`(id LIKE @q ESCAPE '\\' OR device_id LIKE @q ESCAPE '\\' OR json_extract(data, '$.title') LIKE @q ESCAPE '\\')`);
      params.q = likeEscape(query.q);
    }
    if (after) {
      where.push('(opened_at, id) < (@afterAt, @afterId)');
      params.afterAt = after.openedAt;
      params.afterId = after.id;
    }
    const sql = `SELECT data FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY opened_at DESC, id DESC LIMIT @limit`;
    const out: Alert[] = [];
    for (const row of this.db.prepare(sql).iterate(params) as IterableIterator<{ data: string }>) {
      const alert = JSON.parse(row.data) as Alert;
      // The SQL applied the scope; this keeps one rule should they ever disagree.
      if (scope.alert(alert)) out.push(alert);
    }
    return out;
  }
}
