import type { FastifyPluginAsync } from 'fastify';
import type { HubContext } from '../context.ts';

export const healthRoutes: FastifyPluginAsync<{ ctx: HubContext }> = async (app, { ctx }) => {
  app.get('/healthz', { config: { access: 'public' } }, async (_req, reply) => {
    const report = await ctx.health();
    return reply.status(report.status === 'ok' ? 200 : 503).send(report);
  });

  app.get('/metrics', { config: { access: 'metrics' } }, async (_req, reply) => {
    ctx.metrics.devices.reset();
    const counts = new Map<string, number>();
    for (const d of ctx.registry.all()) {
      const key = `${d.kind}|${d.online ? 'online' : 'offline'}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const [key, n] of counts) {
      const [kind, state] = key.split('|') as [string, string];
      ctx.metrics.devices.set({ kind, state }, n);
    }
    return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
};
