import type { Alert } from '#devices';
import { ACTING_ROLES, canSeeAlert, canSeeCommunity, canSeeDevice, unrestricted, type Principal } from '../auth/roles.ts';
import type { Device } from '../registry/devices.ts';

/**
 * What one caller may see and do, answered in one place for every read model (lists, figures,
 * grid, rejected messages, live messages). No caller (not logged in) sees nothing.
 */
export interface CallerScope {
  readonly user: Principal | null;
  /** Sees every community and cell (admins, all-scope operators and viewers). */
  readonly unrestricted: boolean;
  /** May acknowledge, assign and resolve the alerts it sees. */
  readonly mayChangeAlerts: boolean;
  device(d: Pick<Device, 'communityId' | 'gridCellId'>): boolean;
  alert(a: Pick<Alert, 'communityId' | 'gridCellId'>): boolean;
  /** A community with these cells: a worker sees it through one of its cells. */
  community(id: string, cellIds: readonly string[]): boolean;
  cell(id: string): boolean;
  /** Sees each of these communities whole (every cell): what data naming only communities needs. */
  communitiesWhole(ids: readonly string[]): boolean;
}

const NOBODY: CallerScope = {
  user: null,
  unrestricted: false,
  mayChangeAlerts: false,
  device: () => false,
  alert: () => false,
  community: () => false,
  cell: () => false,
  communitiesWhole: () => false,
};

export function callerScope(user: Principal | null): CallerScope {
  if (!user) return NOBODY;
  return {
    user,
    unrestricted: unrestricted(user),
    mayChangeAlerts: ACTING_ROLES.includes(user.role),
    device: (d) => canSeeDevice(user, d),
    alert: (a) => canSeeAlert(user, a),
    community: (id, cellIds) => canSeeCommunity(user, id, cellIds),
    cell: (id) => user.cells === null || user.cells.has(id),
    communitiesWhole: (ids) => unrestricted(user) || (user.communities !== null && user.cells === null && ids.every((c) => user.communities!.has(c))),
  };
}
