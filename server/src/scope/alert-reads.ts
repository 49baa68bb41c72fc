import type { Alert } from '#devices';
import type { AlertFilter } from '../alerts/repository.ts';

/**
 * Where GET /api/alerts reads: this hub's AlertService (SQLite, the unresolved in memory), or
 * the shared alerts table every owner hub writes (STATE_URL, state/pg/alert-reads.ts), so any
 * hub answers for every community in the caller's scope.
 */
export interface AlertReads {
  get(id: string): Alert | undefined | Promise<Alert | undefined>;
  unresolved(): Alert[] | Promise<Alert[]>;
  list(f: AlertFilter): Alert[] | Promise<Alert[]>;
}
