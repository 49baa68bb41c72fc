import type { Alert } from '#devices';
import type { AlertFilter } from '../../alerts/repository.ts';
import type { AlertReads } from '../../scope/alert-reads.ts';
import type { PgSql } from './connect.ts';

/** The alerts of every hub, as their owners wrote them to the shared table. */
export class PgAlertReads implements AlertReads {
  constructor(private readonly sql: PgSql) {}

  async get(id: string): Promise<Alert | undefined> {
    const [row] = await this.sql<{ data: Alert }[]>`SELECT data FROM alerts WHERE id = ${id}`;
    return row?.data;
  }

  async unresolved(): Promise<Alert[]> {
    return (await this.sql<{ data: Alert }[]>`SELECT data FROM alerts WHERE state <> 'resolved'`).map((r) => r.data);
  }

  /** Unresolved alerts, and those updated since `since` (epoch ms). */
  async recent(since: number): Promise<Alert[]> {
    return (await this.sql<{ data: Alert }[]>`SELECT data FROM alerts WHERE state <> 'resolved' OR updated_at > ${since}`).map((r) => r.data);
  }

  async list(f: AlertFilter): Promise<Alert[]> {
    const sql = this.sql;
    const none = sql``;
    const rows = await sql<{ data: Alert }[]>`
      SELECT data FROM alerts WHERE true
      ${f.state ? sql`AND state = ${f.state}` : none}
      ${f.communityId ? sql`AND community_id = ${f.communityId}` : none}
      ${f.gridCellId ? sql`AND cell_id = ${f.gridCellId}` : none}
      ${f.deviceId ? sql`AND device_id = ${f.deviceId}` : none}
      ${f.incidentId ? sql`AND incident_id = ${f.incidentId}` : none}
      ORDER BY opened_at DESC LIMIT ${f.limit ?? 1000}`;
    return rows.map((r) => r.data);
  }
}
