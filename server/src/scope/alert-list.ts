import { severityRank, type Alert, type AlertState } from '#devices';
import { AlertErrors } from '../alerts/errors.ts';
import type { AlertService } from '../alerts/service.ts';
import { AuthErrors } from '../auth/errors.ts';
import type { AlertReads } from './alert-reads.ts';
import type { CallerScope } from './caller-scope.ts';

export interface AlertListQuery {
  state?: AlertState | 'unresolved';
  communityId?: string;
  gridCellId?: string;
  deviceId?: string;
  incidentId?: string;
  limit?: number;
}

/** One alert the caller may see: 404 when unknown, 403 outside its scope. */
export function visibleAlert(alerts: Pick<AlertService, 'get'>, id: string, scope: CallerScope): Alert {
  const alert = alerts.get(id);
  if (!alert) throw new AlertErrors.NotFound(id);
  if (!scope.alert(alert)) throw new AuthErrors.Forbidden(`alert ${id} is outside your communities or cells`);
  return alert;
}

/** visibleAlert on any AlertReads (the shared state's alerts may be read asynchronously). */
export async function readVisibleAlert(alerts: AlertReads, id: string, scope: CallerScope): Promise<Alert> {
  const alert = await alerts.get(id);
  return visibleAlert({ get: () => alert }, id, scope);
}

/** One alert the caller may acknowledge, assign or resolve: as visibleAlert, and 403 for a role that only reads. */
export function actionableAlert(alerts: Pick<AlertService, 'get'>, id: string, scope: CallerScope): Alert {
  const alert = visibleAlert(alerts, id, scope);
  if (!scope.mayChangeAlerts) throw new AuthErrors.Forbidden(`a ${scope.user?.role ?? 'visitor'} may not change alerts`);
  return alert;
}

/** GET /api/alerts: the alerts matching the query that the caller may see, in queue order. */
export async function listAlerts(alerts: Pick<AlertReads, 'unresolved' | 'list'>, query: AlertListQuery, scope: CallerScope): Promise<{ total: number; alerts: Alert[] }> {
  const { state, limit = 1000, ...filter } = query;
  // Unresolved alerts live in memory: filter them there instead of asking the repository.
  const found =
    state === 'unresolved' || state === 'open' || state === 'acknowledged'
      ? (await alerts.unresolved()).filter((a) =>
          (state === 'unresolved' || a.state === state) &&
          (!filter.communityId || a.communityId === filter.communityId) &&
          (!filter.gridCellId || a.gridCellId === filter.gridCellId) &&
          (!filter.deviceId || a.deviceId === filter.deviceId) &&
          (!filter.incidentId || a.incidentId === filter.incidentId))
      : await alerts.list({ ...filter, ...(state ? { state } : {}), limit });
  const visible = found.filter((a) => scope.alert(a));
  // The control room reads the queue top-down: most severe first, then oldest.
  visible.sort((a, b) => severityRank[a.severity] - severityRank[b.severity] || a.openedAt - b.openedAt);
  return { total: visible.length, alerts: visible.slice(0, limit) };
}
