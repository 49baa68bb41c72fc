import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { isValidId } from '#devices';
import { unrestricted } from '../../auth/roles.ts';
import type { IngestRejectReason, RejectedMessage } from '../../ingest/rejects.ts';
import type { HubContext } from '../context.ts';

const RejectedQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })) });

/**
 * The communities a rejected message concerns: its topic's, and the registered device's when
 * that differs (a device publishing under another community's topic). Undefined when the
 * topic does not say (then only the unrestricted may see it: its payload could be anyone's).
 */
function communitiesOf(ctx: HubContext, topic: string): string[] | undefined {
  const parts = topic.split('/');
  if (parts[0] !== 'community' || parts.length < 5 || !isValidId(parts[1]!)) return undefined;
  const communities = [parts[1]!];
  const device = isValidId(parts[3]!) ? ctx.registry.get(parts[3]!) : undefined;
  if (device && device.communityId !== parts[1]) communities.push(device.communityId);
  return communities;
}

/** Ingest inspection: the last rejected messages and counts by reason, within the caller's communities. */
export const ingestRoutes: FastifyPluginAsync<{ ctx: HubContext }> = async (app, { ctx }) => {
  const visibleTo = (req: FastifyRequest) => {
    const user = req.user!;
    if (unrestricted(user)) return () => true;
    return (m: RejectedMessage) => {
      const communities = communitiesOf(ctx, m.topic);
      return !!communities && user.communities !== null && user.cells === null && communities.every((c) => user.communities!.has(c));
    };
  };

  app.get<{ Querystring: Static<typeof RejectedQuery> }>(
    '/rejected',
    { schema: { querystring: RejectedQuery }, config: { access: ['admin', 'operator'] } },
    async (req) => {
      const limit = req.query.limit ?? 100;
      if (unrestricted(req.user!)) return { total: ctx.rejects.total(), byReason: Object.fromEntries(ctx.rejects.counts), recent: ctx.rejects.recent(limit) };
      // Hub-wide counters would reveal other communities' traffic: a scoped caller gets counts over what it may see.
      const mine = ctx.rejects.recent(Number.MAX_SAFE_INTEGER).filter(visibleTo(req));
      const byReason: Partial<Record<IngestRejectReason, number>> = {};
      for (const m of mine) byReason[m.reason] = (byReason[m.reason] ?? 0) + 1;
      return { total: mine.length, byReason, recent: mine.slice(0, limit), scoped: true };
    },
  );
};
