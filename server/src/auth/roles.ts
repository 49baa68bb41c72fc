import type { Alert } from '#devices';
import { USER_ROLES, type WireUserRecord } from '#devices/wire.ts';
import type { GridModel } from '../grid/model.ts';
import type { Device } from '../registry/devices.ts';

export const ROLES = USER_ROLES;
export type Role = (typeof ROLES)[number];

/** Roles that may acknowledge, assign and resolve alerts (within their scope). */
export const ACTING_ROLES: readonly Role[] = ['admin', 'operator', 'worker'];

/** `'*'` in `communities` means every community. */
export const ALL = '*';

/** An account as stored and as GET /api/users sends it. */
export type UserRecord = WireUserRecord;

/**
 * Who is asking and what they may see. Computed per session from the account and the grid,
 * so a worker's cells follow the config file without editing the account.
 */
export interface Principal {
  username: string;
  role: Role;
  displayName: string | null;
  workerId: string | null;
  /** null: unrestricted */
  communities: ReadonlySet<string> | null;
  /** null: not limited by cell (admin, operator, viewer); a set (maybe empty) for workers */
  cells: ReadonlySet<string> | null;
  /** a paired wall screen (kiosk, auth/displays.ts): reads its scope and may acknowledge, nothing else */
  display?: true;
}

export function principalFor(user: UserRecord, grid: GridModel): Principal {
  const base = { username: user.username, role: user.role, displayName: user.displayName, workerId: user.workerId };
  if (user.role === 'admin') return { ...base, communities: null, cells: null };
  if (user.role === 'worker') {
    const cells = new Set(user.cells);
    if (user.workerId) {
      const worker = grid.allWorkers().find((w) => w.id === user.workerId);
      for (const c of worker?.cells ?? []) cells.add(c);
      // Cells that name the worker (as a worker or their supervisor) count too.
      for (const community of grid.allCommunities()) {
        for (const cell of community.cells ?? []) {
          if (cell.supervisor === user.workerId || cell.workers?.includes(user.workerId)) cells.add(cell.id);
        }
      }
    }
    return { ...base, communities: null, cells };
  }
  return { ...base, communities: user.communities.includes(ALL) ? null : new Set(user.communities), cells: null };
}

export function unrestricted(p: Principal): boolean {
  return p.communities === null && p.cells === null;
}

function inScope(p: Principal, communityId: string, cellId: string | null): boolean {
  if (p.cells !== null && (cellId === null || !p.cells.has(cellId))) return false;
  if (p.communities !== null && !p.communities.has(communityId)) return false;
  return true;
}

export function canSeeAlert(p: Principal, alert: Pick<Alert, 'communityId' | 'gridCellId'>): boolean {
  return inScope(p, alert.communityId, alert.gridCellId);
}

export function canSeeDevice(p: Principal, device: Pick<Device, 'communityId' | 'gridCellId'>): boolean {
  return inScope(p, device.communityId, device.gridCellId);
}

export function canSeeCommunity(p: Principal, communityId: string, cellIds: readonly string[]): boolean {
  if (p.communities !== null && !p.communities.has(communityId)) return false;
  if (p.cells !== null) return cellIds.some((c) => p.cells!.has(c));
  return true;
}

export function publicUser(p: Principal): Record<string, unknown> {
  return {
    username: p.username,
    role: p.role,
    displayName: p.displayName,
    workerId: p.workerId,
    communities: p.communities === null ? [ALL] : [...p.communities],
    ...(p.cells !== null ? { cells: [...p.cells] } : {}),
    ...(p.display ? { display: true } : {}),
  };
}
