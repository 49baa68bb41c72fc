import type Database from 'better-sqlite3';
import type { Alert, AlertState } from '#devices';
import type { AlertChange } from './changes.ts';

export interface AlertFilter {
  state?: AlertState;
  communityId?: string;
  gridCellId?: string;
  deviceId?: string;
  incidentId?: string;
  limit?: number;
}

/**
 * Where the alert service keeps alerts: SQLite (AlertRepository) or, in cluster mode, PostgreSQL
 * (server/src/cluster/alert-store.ts), whose writes commit later: the change is emitted once it
 * is committed (`saveChange`), and `othersUnresolved` are the other hubs' communities' alerts.
 */
export interface AlertStore {
  save(alert: Alert): void;
  saveChange?(change: AlertChange, committed: () => void): void;
  othersUnresolved?(): Alert[];
  loadUnresolved(): Alert[];
  get(id: string): Alert | undefined;
  list(f: AlertFilter): Alert[];
  openedSince(since: number): Alert[];
}

/** Alerts in SQLite: one row each, the whole object as JSON plus the columns filters need. */
export class AlertRepository implements AlertStore {
  private readonly upsert: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.upsert = db.prepare(`INSERT OR REPLACE INTO alerts
      (id, community_id, cell_id, device_id, kind, type, severity, state, incident_id, opened_at, data)
      VALUES (@id, @communityId, @gridCellId, @deviceId, @kind, @type, @severity, @state, @incidentId, @openedAt, @data)`);
  }

  save(alert: Alert): void {
    this.upsert.run({ ...alert, data: JSON.stringify(alert) });
  }

  /** Every alert not yet resolved: the working set the hub keeps in memory. */
  loadUnresolved(): Alert[] {
    return (this.db.prepare(`SELECT data FROM alerts WHERE state != 'resolved'`).all() as { data: string }[]).map((r) => JSON.parse(r.data) as Alert);
  }

  get(id: string): Alert | undefined {
    const row = this.db.prepare('SELECT data FROM alerts WHERE id = ?').get(id) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as Alert) : undefined;
  }

  list(f: AlertFilter): Alert[] {
    const where: string[] = [];
    if (f.state) where.push('state = @state');
    if (f.communityId) where.push('community_id = @communityId');
    if (f.gridCellId) where.push('cell_id = @gridCellId');
    if (f.deviceId) where.push('device_id = @deviceId');
    if (f.incidentId) where.push('incident_id = @incidentId');
    const sql = `SELECT data FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY opened_at DESC LIMIT @limit`;
    return (this.db.prepare(sql).all({ ...f, limit: f.limit ?? 1000 }) as { data: string }[]).map((r) => JSON.parse(r.data) as Alert);
  }

  /** Alerts opened since `since`, for figures like mean time to acknowledge. */
  openedSince(since: number): Alert[] {
    return (this.db.prepare('SELECT data FROM alerts WHERE opened_at >= ?').all(since) as { data: string }[]).map((r) => JSON.parse(r.data) as Alert);
  }
}
