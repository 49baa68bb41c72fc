import type { FastifyPluginAsync } from 'fastify';
import type { HubContext } from '../context.ts';
import { canSeeCommunity } from '../../auth/roles.ts';

/** The grid model: communities → cells → buildings, and the people responsible, within the caller's scope. */
export const gridRoutes: FastifyPluginAsync<{ ctx: HubContext }> = async (app, { ctx }) => {
  app.get('/', async (req) => {
    const user = req.user!;
    // A worker sees their own cells only: other cells' buildings and people (phone numbers) are not theirs.
    const cellVisible = (cellId: string) => user.cells === null || user.cells.has(cellId);
    return {
      communities: ctx.grid
        .allCommunities()
        .filter((c) => canSeeCommunity(user, c.id, (c.cells ?? []).map((cell) => cell.id)))
        .map((c) => ({
          id: c.id,
          name: c.name ?? c.id,
          households: c.households ?? null,
          plan: c.plan ?? null,
          controlRoom: { lead: c.controlRoom?.lead ? ctx.grid.person(c.controlRoom.lead) ?? null : null },
          cells: (c.cells ?? []).filter((cell) => cellVisible(cell.id)).map((cell) => ({
            id: cell.id,
            name: cell.name ?? cell.id,
            area: cell.area ?? null,
            supervisor: ctx.grid.supervisor(cell.id) ?? null,
            workers: ctx.grid.cellWorkers(cell.id),
            buildings: cell.buildings ?? [],
          })),
        })),
    };
  });
};
