import type { FastifyPluginAsync } from 'fastify';
import { keyFigures } from '../../stats/key-figures.ts';
import { communityFigures } from '../../stats/community-figures.ts';
import type { HubContext } from '../context.ts';

/** Key figures for the control room's header, over what the caller may see. */
export const statsRoutes: FastifyPluginAsync<{ ctx: HubContext }> = async (app, { ctx }) => {
  const now = ctx.clock ?? Date.now;
  app.get('/', async (req) =>
    keyFigures(
      { devices: ctx.registry.all(), unresolved: ctx.alerts.unresolved(), openedSince: (since) => ctx.alerts.openedSince(since) },
      ctx.scope(req),
      now(),
    ),
  );
  /** The same figures per community, for a sub-district overview. */
  app.get('/communities', async (req) => {
    const scope = ctx.scope(req);
    const visible = ctx.grid.allCommunities().filter((c) => scope.community(c.id, (c.cells ?? []).map((cell) => cell.id))).map((c) => c.id);
    return {
      communities: communityFigures(
        { devices: ctx.registry.all(), unresolved: ctx.alerts.unresolved(), openedSince: (since) => ctx.alerts.openedSince(since) },
        scope,
        now(),
        visible,
      ),
    };
  });
};
