import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { rejectedFor } from '../../scope/rejected.ts';
import type { HubContext } from '../context.ts';

const RejectedQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })) });

/** Ingest inspection: the last rejected messages and counts by reason, within the caller's communities. */
export const ingestRoutes: FastifyPluginAsync<{ ctx: HubContext }> = async (app, { ctx }) => {
  app.get<{ Querystring: Static<typeof RejectedQuery> }>(
    '/rejected',
    { schema: { querystring: RejectedQuery }, config: { access: ['admin', 'operator'] } },
    async (req) => rejectedFor(ctx.rejects, ctx.registry, req.query.limit ?? 100, ctx.scope(req)),
  );
};
