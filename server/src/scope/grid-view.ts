import type { GridModel } from '../grid/model.ts';
import type { CallerScope } from './caller-scope.ts';

/** GET /api/grid: communities → cells → buildings and the people responsible, within the caller's scope. */
export function gridFor(grid: GridModel, scope: CallerScope) {
  return {
    communities: grid
      .allCommunities()
      .filter((c) => scope.community(c.id, (c.cells ?? []).map((cell) => cell.id)))
      .map((c) => ({
        id: c.id,
        name: c.name ?? c.id,
        households: c.households ?? null,
        plan: c.plan ?? null,
        controlRoom: { lead: c.controlRoom?.lead ? grid.person(c.controlRoom.lead) ?? null : null },
        // A worker sees their own cells only: other cells' buildings and people (phone numbers) are not theirs.
        cells: (c.cells ?? []).filter((cell) => scope.cell(cell.id)).map((cell) => ({
          id: cell.id,
          name: cell.name ?? cell.id,
          area: cell.area ?? null,
          supervisor: grid.supervisor(cell.id) ?? null,
          workers: grid.cellWorkers(cell.id),
          buildings: cell.buildings ?? [],
        })),
      })),
  };
}
