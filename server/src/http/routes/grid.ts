import type { FastifyPluginAsync } from 'fastify';
import type { HubContext } from '../context.ts';
import { canSeeCommunity } from '../../auth/roles.ts';

/** The grid model: communities → cells → buildings, and the people responsible. */
export const gridRoutes: FastifyPluginAsync<{ ctx: HubContext }> = async (app, { ctx }) => {
  app.get('/', async (req) => ({
    communities: ctx.grid
      .allCommunities()
      .filter((c) => canSeeCommunity(req.user!, c.id, (c.cells ?? []).map((cell) => cell.id)))
      .map((c) => ({
      id: c.id,
      name: c.name ?? c.id,
      households: c.households ?? null,
      plan: c.plan ?? null,
      controlRoom: { lead: c.controlRoom?.lead ? ctx.grid.person(c.controlRoom.lead) ?? null : null },
      cells: (c.cells ?? []).map((cell) => ({
        id: cell.id,
        name: cell.name ?? cell.id,
        area: cell.area ?? null,
        supervisor: ctx.grid.supervisor(cell.id) ?? null,
        workers: ctx.grid.cellWorkers(cell.id),
        buildings: cell.buildings ?? [],
      })),
    })),
  }));
};
