import type { Alert } from '#devices';
import { EXPORT_CHUNK, likeEscape, pageOf, pageRequest, type AlertCursor, type AlertSearchPage, type AlertSearchQuery, type AlertSearchSource } from '../../alerts/search.ts';
import type { CallerScope } from '../../scope/caller-scope.ts';
import type { PgSql } from './connect.ts';

/**
 * GET /api/alerts/search and the CSV export on the shared alerts table (STATE_URL): every hub's
 * alerts, the same filters, scope and keyset paging as the SQLite search (alerts/search.ts), so a
 * cursor from one hub continues on another. ILIKE, like SQLite's ASCII case-insensitive LIKE.
 */
export class PgAlertSearch implements AlertSearchSource {
  constructor(private readonly sql: PgSql) {}

  async page(query: AlertSearchQuery, scope: CallerScope, opts: { limit?: number; cursor?: string } = {}): Promise<AlertSearchPage> {
    const { limit, after } = pageRequest(opts);
    return pageOf(await this.select(query, scope, after, limit + 1), limit);
  }

  /** Every matching alert, newest first, read in keyset chunks (no cursor held open across the consumer's awaits). */
  async *all(query: AlertSearchQuery, scope: CallerScope): AsyncGenerator<Alert> {
    let after: AlertCursor | undefined;
    for (;;) {
      const chunk = await this.select(query, scope, after, EXPORT_CHUNK);
      yield* chunk;
      const last = chunk[chunk.length - 1];
      if (chunk.length < EXPORT_CHUNK || !last) return;
      after = { openedAt: last.openedAt, id: last.id };
    }
  }

  private async select(query: AlertSearchQuery, scope: CallerScope, after: AlertCursor | undefined, limit: number): Promise<Alert[]> {
    const user = scope.user;
    if (!user) return [];
    const sql = this.sql;
    const none = sql``;
    const eq = (column: string, value: string | undefined) => (value === undefined ? none : sql`AND ${sql(column)} = ${value}`);
    const q = query.q ? likeEscape(query.q) : undefined;
    const rows = await sql<{ data: Alert }[]>`
      SELECT data FROM alerts WHERE true
      ${user.communities !== null ? sql`AND community_id = ANY(${[...user.communities]}::text[])` : none}
      ${user.cells !== null ? sql`AND cell_id = ANY(${[...user.cells]}::text[])` : none}
      ${eq('community_id', query.communityId)} ${eq('cell_id', query.gridCellId)} ${eq('kind', query.kind)} ${eq('type', query.type)} ${eq('severity', query.severity)}
      ${query.state === 'unresolved' ? sql`AND state <> 'resolved'` : eq('state', query.state)}
      ${query.from !== undefined ? sql`AND opened_at >= ${query.from}` : none}
      ${query.to !== undefined ? sql`AND opened_at < ${query.to}` : none}
      ${q !== undefined ? sql`AND (id ILIKE ${q} OR device_id ILIKE ${q} OR data->>'title' ILIKE ${q})` : none}
      ${after ? sql`AND (opened_at, id) < (${after.openedAt}, ${after.id})` : none}
      ORDER BY opened_at DESC, id DESC LIMIT ${limit}`;
    // The SQL applied the scope; this keeps one rule should they ever disagree.
    return rows.map((r) => r.data).filter((a) => scope.alert(a));
  }
}
