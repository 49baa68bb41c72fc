import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ALERT_STATES, ID_PATTERN, severityRank } from '#devices';
import { AlertErrors } from '../../alerts/errors.ts';
import { AuthErrors } from '../../auth/errors.ts';
import type { HubContext } from '../context.ts';

const IdParams = Type.Object({ id: Type.String({ pattern: ID_PATTERN }) });
const ListQuery = Type.Object({
  state: Type.Optional(Type.Union([...ALERT_STATES.map((s) => Type.Literal(s)), Type.Literal('unresolved')])),
  communityId: Type.Optional(Type.String({ pattern: ID_PATTERN })),
  gridCellId: Type.Optional(Type.String({ pattern: ID_PATTERN })),
  deviceId: Type.Optional(Type.String({ pattern: ID_PATTERN })),
  incidentId: Type.Optional(Type.String({ maxLength: 80 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
});
const AssignBody = Type.Object({ assignee: Type.String({ minLength: 1, maxLength: 100 }) });
const ResolveBody = Type.Object({ note: Type.String({ maxLength: 2000 }) });

/** Alerts: list and filter, get, acknowledge, assign, resolve with a note. */
export const alertRoutes: FastifyPluginAsync<{ ctx: HubContext }> = async (app, { ctx }) => {
  app.get<{ Querystring: Static<typeof ListQuery> }>('/', { schema: { querystring: ListQuery } }, async (req) => {
    const { state, limit = 1000, ...filter } = req.query;
    let alerts =
      state === 'unresolved' || state === 'open' || state === 'acknowledged'
        ? ctx.alerts.unresolved().filter((a) =>
            (state === 'unresolved' || a.state === state) &&
            (!filter.communityId || a.communityId === filter.communityId) &&
            (!filter.gridCellId || a.gridCellId === filter.gridCellId) &&
            (!filter.deviceId || a.deviceId === filter.deviceId) &&
            (!filter.incidentId || a.incidentId === filter.incidentId))
        : ctx.alerts.list({ ...filter, ...(state ? { state } : {}), limit });
    alerts = alerts.filter((a) => ctx.canSeeAlert(req, a));
    // The control room reads the queue top-down: most severe first, then oldest.
    alerts.sort((a, b) => severityRank[a.severity] - severityRank[b.severity] || a.openedAt - b.openedAt);
    return { total: alerts.length, alerts: alerts.slice(0, limit) };
  });

  app.get<{ Params: Static<typeof IdParams> }>('/:id', { schema: { params: IdParams } }, async (req) => {
    const alert = ctx.alerts.get(req.params.id);
    if (!alert) throw new AlertErrors.NotFound(req.params.id);
    if (!ctx.canSeeAlert(req, alert)) throw new AuthErrors.Forbidden(`alert ${req.params.id} is outside your communities or cells`);
    return { alert };
  });

  app.post<{ Params: Static<typeof IdParams> }>('/:id/ack', { schema: { params: IdParams } }, async (req) => {
    ctx.authorizeAlertAction(req, req.params.id);
    const alert = ctx.alerts.acknowledge(req.params.id, ctx.actor(req));
    ctx.auth.audit.record({ actor: ctx.actor(req), action: 'alert.ack', target: req.params.id, ip: req.ip });
    return { alert };
  });

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof AssignBody> }>(
    '/:id/assign',
    { schema: { params: IdParams, body: AssignBody } },
    async (req) => {
      ctx.authorizeAlertAction(req, req.params.id);
      const alert = ctx.alerts.assign(req.params.id, req.body.assignee.trim(), ctx.actor(req));
      ctx.auth.audit.record({ actor: ctx.actor(req), action: 'alert.assign', target: req.params.id, ip: req.ip, detail: { assignee: alert.assignee } });
      return { alert };
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof ResolveBody> }>(
    '/:id/resolve',
    { schema: { params: IdParams, body: ResolveBody } },
    async (req) => {
      ctx.authorizeAlertAction(req, req.params.id);
      const note = req.body.note.trim();
      if (!note) throw new AlertErrors.NoteRequired();
      const alert = ctx.alerts.resolve(req.params.id, ctx.actor(req), note);
      ctx.auth.audit.record({ actor: ctx.actor(req), action: 'alert.resolve', target: req.params.id, ip: req.ip, detail: { note: note.slice(0, 500) } });
      return { alert };
    },
  );
};
