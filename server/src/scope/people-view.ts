import type { GridModel, Person } from '../grid/model.ts';
import type { UserRecord } from '../auth/roles.ts';
import type { CallerScope } from './caller-scope.ts';

/**
 * GET /api/grid/people: everyone an alert in the caller's cells can be assigned to (the cells'
 * workers and supervisors, the communities' control-room leads), with the linked account and
 * whether the hub can reach them through a messaging app.
 */
export function peopleFor(grid: GridModel, users: readonly UserRecord[], scope: CallerScope) {
  const accountOf = new Map<string, string>();
  for (const u of users) if (u.workerId && !u.disabled && !accountOf.has(u.workerId)) accountOf.set(u.workerId, u.username);
  const configured = new Map(grid.allWorkers().map((w) => [w.id, w]));
  const found = new Map<string, { person: Person; cells: Set<string> }>();
  const add = (p: Person | undefined, cellId: string) => {
    if (!p) return;
    const e = found.get(p.id) ?? { person: p, cells: new Set<string>() };
    e.cells.add(cellId);
    found.set(p.id, e);
  };
  for (const c of grid.allCommunities()) {
    const cellIds = (c.cells ?? []).map((cell) => cell.id);
    if (!scope.community(c.id, cellIds)) continue;
    for (const cellId of cellIds) {
      if (!scope.cell(cellId)) continue;
      add(grid.supervisor(cellId), cellId);
      for (const w of grid.cellWorkers(cellId)) add(w, cellId);
      add(grid.controlRoomLead(c.id), cellId);
    }
  }
  return {
    people: [...found.values()].map(({ person, cells }) => {
      const accounts = configured.get(person.id)?.accounts;
      const username = accountOf.get(person.id) ?? null;
      return {
        ...person,
        cells: [...cells],
        username,
        reachable: { account: username !== null, wecom: Boolean(accounts?.wecom), dingtalk: Boolean(accounts?.dingtalk) },
      };
    }),
  };
}
