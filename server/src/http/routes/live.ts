import type { FastifyPluginAsync } from 'fastify';
import type { HubContext } from '../context.ts';

/** Live connections one account may hold: a dashboard per screen is a handful; thousands are an attack on memory. */
export const MAX_LIVE_PER_USER = 32;

/** GET /ws: live alert and device changes. Route hooks (authentication) run before the upgrade. */
export const liveRoutes: FastifyPluginAsync<{ ctx: HubContext }> = async (app, { ctx }) => {
  const perUser = new Map<string, number>();
  app.route({
    method: 'GET',
    url: '/ws',
    // A plain GET (no Upgrade) gets a JSON error like every other route, not an empty 404.
    handler: async (_req, reply) => reply.status(426).header('upgrade', 'websocket').send({ error: 'UPGRADE_REQUIRED', message: '/ws is a WebSocket: connect with "Upgrade: websocket"' }),
    wsHandler: (socket, req) => {
      const user = (req.user?.username ?? '').toLowerCase();
      const open = perUser.get(user) ?? 0;
      if (open >= MAX_LIVE_PER_USER) {
        socket.close(4429, `at most ${MAX_LIVE_PER_USER} live connections per account`);
        return;
      }
      perUser.set(user, open + 1);
      socket.once('close', () => {
        const n = (perUser.get(user) ?? 1) - 1;
        if (n > 0) perUser.set(user, n);
        else perUser.delete(user);
      });
      ctx.live.add(socket, ctx.liveScope(req));
      // The session may end while the socket stays open (logout, expiry, account change): close it then.
      const session = req.session;
      const check = setInterval(() => {
        if (!session || !ctx.auth.sessions.alive(session)) socket.close(4401, 'session ended');
      }, 10_000);
      check.unref();
      socket.on('close', () => clearInterval(check));
      // Clients only listen; anything they send is ignored (and a flood is cut off by ws limits).
      socket.on('message', () => {});
    },
  });
};
