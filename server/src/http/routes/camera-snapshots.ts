import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN } from '#devices';
import type { CameraService } from '../../cameras/camera-service.ts';
import { CameraErrors } from '../../cameras/errors.ts';
import { visibleDevice } from '../../scope/device-list.ts';
import type { HubContext } from '../context.ts';

const IdParams = Type.Object({ id: Type.String({ pattern: ID_PATTERN }) });

/**
 * GET /api/devices/{id}/camera-snapshot: a live JPEG from the camera covering a device, for
 * whoever may see the device (the plan's one-click view when an alert has no snapshot of its own).
 * `cameras` is read per request: the hub starts its ONVIF bridges after the HTTP app.
 */
export const cameraSnapshotRoutes: FastifyPluginAsync<{ ctx: HubContext; cameras: () => Pick<CameraService, 'liveSnapshot'> | undefined }> = async (app, { ctx, cameras }) => {
  app.get<{ Params: Static<typeof IdParams> }>('/:id/camera-snapshot', { schema: { params: IdParams } }, async (req, reply) => {
    const device = visibleDevice(ctx.registry, req.params.id, ctx.scope(req));
    const service = cameras();
    let shot: Awaited<ReturnType<CameraService['liveSnapshot']>>;
    try {
      shot = service ? await service.liveSnapshot(device.id) : undefined;
    } catch (err) {
      throw new CameraErrors.Unavailable((err as Error).message);
    }
    if (!shot) throw new CameraErrors.NoCamera(device.id);
    return reply.type('image/jpeg').header('cache-control', 'no-store').header('x-camera-id', shot.cameraId).send(shot.jpeg);
  });
};
