import type { FastifyPluginAsync } from 'fastify';
import type { WebSocket } from 'ws';
import { LIVE_CLOSE } from '#devices/wire.ts';
import type { Revocation } from '../../auth/revocations.ts';
import type { HubContext } from '../context.ts';

/** Live connections one account may hold: a dashboard per screen is a handful; thousands are an attack on memory. */
export const MAX_LIVE_PER_USER = 32;

interface Open {
  username: string;
  digest: string | null;
}

/** GET /ws: live alert and device changes. Route hooks (authentication) run before the upgrade. */
export const liveRoutes: FastifyPluginAsync<{ ctx: HubContext }> = async (app, { ctx }) => {
  const perUser = new Map<string, number>();
  const open = new Map<WebSocket, Open>();

  // A revocation closes the sockets it covers at once, with a reason the screen can show.
  const onRevoked = (r: Revocation) => {
    for (const [socket, o] of open) {
      if ('digest' in r) {
        if (o.digest === r.digest) socket.close(LIVE_CLOSE.sessionEnded, 'session ended');
      } else if (o.username === r.username.toLowerCase()) {
        if (r.display) socket.close(LIVE_CLOSE.displayRevoked, 'this wall screen was revoked by an admin');
        else socket.close(LIVE_CLOSE.accountRevoked, 'the account was changed or disabled by an admin');
      }
    }
  };
  const unsubscribe = [ctx.auth.sessions.revoked.on(onRevoked), ctx.auth.displays.revoked.on(onRevoked)];
  app.addHook('onClose', async () => {
    for (const u of unsubscribe) u();
  });

  app.route({
    method: 'GET',
    url: '/ws',
    // A plain GET (no Upgrade) gets a JSON error like every other route, not an empty 404.
    handler: async (_req, reply) => reply.status(426).header('upgrade', 'websocket').send({ error: 'UPGRADE_REQUIRED', message: '/ws is a WebSocket: connect with "Upgrade: websocket"' }),
    wsHandler: (socket, req) => {
      const user = (req.user?.username ?? '').toLowerCase();
      const count = perUser.get(user) ?? 0;
      if (count >= MAX_LIVE_PER_USER) {
        socket.close(4429, `at most ${MAX_LIVE_PER_USER} live connections per account`);
        return;
      }
      perUser.set(user, count + 1);
      const session = req.session;
      open.set(socket, { username: user, digest: session?.digest ?? null });
      socket.once('close', () => {
        open.delete(socket);
        const n = (perUser.get(user) ?? 1) - 1;
        if (n > 0) perUser.set(user, n);
        else perUser.delete(user);
      });
      ctx.live.add(socket, ctx.liveScope(req));
      // Expiry has no event: a session that runs out while the socket stays open is closed then.
      const check = setInterval(() => {
        if (!session || !ctx.auth.sessions.alive(session)) socket.close(LIVE_CLOSE.sessionEnded, 'session ended');
      }, 10_000);
      check.unref();
      socket.on('close', () => clearInterval(check));
      // Clients only listen; anything they send is ignored (and a flood is cut off by ws limits).
      socket.on('message', () => {});
    },
  });
};
