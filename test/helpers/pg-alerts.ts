import type { Alert } from '#devices';
import type { PgSql } from '../../server/src/state/pg/connect.ts';
import { ALERT_CHANGE_CHANNEL } from '../../server/src/state/pg/alert-feed.ts';

/**
 * What an owner hub does when an alert changes (docs/scaling.md, "Shared state on PostgreSQL"):
 * the row in `alerts` and, in the same transaction, the notice naming it. `notify: false`
 * writes the row alone (a notice lost while a listener was disconnected).
 */
export async function writeAlertAsOwner(sql: PgSql, alert: Alert, hub: string, { updatedAt = Date.now(), epoch = 1, notify = true } = {}): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      INSERT INTO alerts (id, community_id, cell_id, device_id, kind, type, severity, state, incident_id, opened_at, updated_at, epoch, data)
      VALUES (${alert.id}, ${alert.communityId}, ${alert.gridCellId}, ${alert.deviceId}, ${alert.kind}, ${alert.type}, ${alert.severity}, ${alert.state},
        ${alert.incidentId}, ${alert.openedAt}, ${updatedAt}, ${epoch}, ${tx.json(alert as unknown as Parameters<PgSql['json']>[0])})
      ON CONFLICT (id) DO UPDATE SET state = excluded.state, severity = excluded.severity, updated_at = excluded.updated_at, epoch = excluded.epoch, data = excluded.data`;
    if (notify) await tx`SELECT pg_notify(${ALERT_CHANGE_CHANNEL}, ${JSON.stringify({ id: alert.id, communityId: alert.communityId, type: alert.type, hub })})`;
  });
}
