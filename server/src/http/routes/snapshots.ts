import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN } from '#devices';
import { AlertErrors } from '../../alerts/errors.ts';
import type { SnapshotStore } from '../../cameras/snapshot-store.ts';
import type { HubContext } from '../context.ts';

const Params = Type.Object({ id: Type.String({ pattern: ID_PATTERN }), file: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,200}\\.jpg$' }) });

/** Camera snapshots attached to an alert, for whoever may see the alert. */
export const snapshotRoutes: FastifyPluginAsync<{ ctx: HubContext; snapshots: SnapshotStore }> = async (app, { ctx, snapshots }) => {
  app.get<{ Params: Static<typeof Params> }>('/:id/snapshots/:file', { schema: { params: Params } }, async (req, reply) => {
    const alert = ctx.alerts.get(req.params.id);
    if (!alert || !ctx.canSeeAlert(req, alert)) throw new AlertErrors.NotFound(req.params.id);
    // Only files recorded on this alert: a name cannot reach another alert's snapshot.
    if (!alert.snapshots?.some((s) => s.url.endsWith(`/${req.params.file}`))) throw new AlertErrors.NotFound(req.params.id);
    const jpeg = snapshots.read(req.params.file);
    if (!jpeg) return reply.status(410).send({ error: 'SNAPSHOT_EXPIRED', message: 'the snapshot was removed by the retention limit' });
    return reply.type('image/jpeg').header('cache-control', 'private, max-age=86400').send(jpeg);
  });
};
