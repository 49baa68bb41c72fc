import type { FastifyPluginAsync } from 'fastify';
import { gridFor } from '../../scope/grid-view.ts';
import { peopleFor } from '../../scope/people-view.ts';
import type { HubContext } from '../context.ts';

/** The grid model: communities → cells → buildings, and the people responsible, within the caller's scope. */
export const gridRoutes: FastifyPluginAsync<{ ctx: HubContext }> = async (app, { ctx }) => {
  app.get('/', async (req) => gridFor(ctx.grid, ctx.scope(req)));
  /** Who an alert can be assigned to, with phones, linked accounts and reachability. */
  app.get('/people', async (req) => peopleFor(ctx.grid, await ctx.auth.users.list(), ctx.scope(req)));
};
