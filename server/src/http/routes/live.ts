import type { FastifyPluginAsync } from 'fastify';
import type { HubContext } from '../context.ts';

/** GET /ws: live alert and device changes. Route hooks (authentication) run before the upgrade. */
export const liveRoutes: FastifyPluginAsync<{ ctx: HubContext }> = async (app, { ctx }) => {
  app.get('/ws', { websocket: true }, (socket, req) => {
    ctx.live.add(socket, ctx.liveScope(req));
    // Clients only listen; anything they send is ignored (and a flood is cut off by ws limits).
    socket.on('message', () => {});
  });
};
