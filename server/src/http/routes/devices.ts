import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN, KINDS } from '#devices';
import { Errors } from '../../errors.ts';
import type { FastifyRequest } from 'fastify';
import { listDevices, visibleDevice } from '../../scope/device-list.ts';
import { FIELD_NAME } from '../../store/types.ts';
import type { HubContext } from '../context.ts';
import { everyParam, timeRange } from '../time.ts';

const IdParams = Type.Object({ id: Type.String({ pattern: ID_PATTERN }) });
const ListQuery = Type.Object({
  kind: Type.Optional(Type.Union(KINDS.map((k) => Type.Literal(k)))),
  communityId: Type.Optional(Type.String({ pattern: ID_PATTERN })),
  gridCellId: Type.Optional(Type.String({ pattern: ID_PATTERN })),
  online: Type.Optional(Type.Boolean()),
  q: Type.Optional(Type.String({ maxLength: 64 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200_000 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
});
const TelemetryQuery = Type.Object({
  field: Type.Optional(Type.String({ maxLength: 64 })),
  from: Type.Optional(Type.String({ maxLength: 40 })),
  to: Type.Optional(Type.String({ maxLength: 40 })),
  every: Type.Optional(Type.String({ maxLength: 16 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
});
const EventsQuery = Type.Object({
  from: Type.Optional(Type.String({ maxLength: 40 })),
  to: Type.Optional(Type.String({ maxLength: 40 })),
  type: Type.Optional(Type.String({ pattern: '^[a-z_]{1,64}$' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
});

/** Devices: the registry and each device's stored telemetry and events, within the caller's scope. */
export const deviceRoutes: FastifyPluginAsync<{ ctx: HubContext }> = async (app, { ctx }) => {
  const visible = (req: FastifyRequest, id: string) => visibleDevice(ctx.registry, id, ctx.scope(req));

  app.get<{ Querystring: Static<typeof ListQuery> }>('/', { schema: { querystring: ListQuery } }, async (req) => listDevices(ctx.registry, req.query, ctx.scope(req)));

  app.get<{ Params: Static<typeof IdParams> }>('/:id', { schema: { params: IdParams } }, async (req) => {
    return { device: visible(req, req.params.id) };
  });

  app.get<{ Params: Static<typeof IdParams> }>('/:id/latest', { schema: { params: IdParams } }, async (req) => {
    const device = visible(req, req.params.id);
    return { deviceId: device.id, kind: device.kind, readings: await ctx.store.latest(device.kind, device.id) };
  });

  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof TelemetryQuery> }>(
    '/:id/telemetry',
    { schema: { params: IdParams, querystring: TelemetryQuery } },
    async (req) => {
      const device = visible(req, req.params.id);
      const { field, every, limit = 10_000 } = req.query;
      if (field !== undefined && !FIELD_NAME.test(field)) throw new Errors.BadField(field);
      const { from, to } = timeRange(req.query, 3_600_000);
      const everyMs = everyParam(every);
      const base = { deviceId: device.id, kind: device.kind, from, to, limit };
      if (everyMs !== undefined) {
        if (!field) throw new Errors.BadRange('"every" needs "field"');
        const points = await ctx.store.queryAggregate({ ...base, field, everyMs });
        return { deviceId: device.id, field, from, to, everyMs, points };
      }
      const rows = await ctx.store.queryRaw({ ...base, ...(field ? { field } : {}) });
      if (field) {
        return { deviceId: device.id, field, from, to, points: rows.map((r) => ({ ts: r.ts, value: r.readings[field] ?? null })) };
      }
      return { deviceId: device.id, from, to, points: rows };
    },
  );

  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof EventsQuery> }>(
    '/:id/events',
    { schema: { params: IdParams, querystring: EventsQuery } },
    async (req) => {
      const device = visible(req, req.params.id);
      const { from, to } = timeRange(req.query, 86_400_000);
      const events = await ctx.store.queryEvents({
        deviceId: device.id,
        from,
        to,
        limit: req.query.limit ?? 500,
        ...(req.query.type ? { type: req.query.type } : {}),
      });
      return { deviceId: device.id, from, to, events };
    },
  );
};
