import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ALERT_STATES, ID_PATTERN, type Alert } from '#devices';
import { AlertErrors } from '../../alerts/errors.ts';
import type { HubContext } from '../context.ts';
import { listAlerts, readVisibleAlert } from '../../scope/alert-list.ts';
import { audit } from '../plugins/audit.ts';
import { applyAlertCommand, type AlertCommand } from '../../cluster/commands.ts';

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
type OnAlert = { Params: Static<typeof IdParams> };
type Assign = OnAlert & { Body: Static<typeof AssignBody> };
type Resolve = OnAlert & { Body: Static<typeof ResolveBody> };
const alertTarget = (req: { params: Static<typeof IdParams> }) => req.params.id;

/** Alerts: list and filter, get, acknowledge, assign, resolve with a note. */
export const alertRoutes: FastifyPluginAsync<{ ctx: HubContext }> = async (app, { ctx }) => {
  // Cluster mode: by the community's holder, whichever hub that is (cluster/commands.ts).
  const command = async (req: FastifyRequest, alert: Alert, cmd: AlertCommand) => {
    const key = req.headers['idempotency-key'];
    return ctx.alertCommands ? ctx.alertCommands.run(alert, ctx.actor(req), cmd, typeof key === 'string' ? key : undefined) : applyAlertCommand(ctx.alerts, alert.id, ctx.actor(req), cmd);
  };

  app.get<{ Querystring: Static<typeof ListQuery> }>('/', { schema: { querystring: ListQuery } }, async (req) => listAlerts(ctx.alertReads ?? ctx.alerts, req.query, ctx.scope(req)));

  app.get<OnAlert>('/:id', { schema: { params: IdParams } }, async (req) => ({ alert: await readVisibleAlert(ctx.alertReads ?? ctx.alerts, req.params.id, ctx.scope(req)) }));

  app.post<OnAlert>('/:id/ack', { schema: { params: IdParams }, config: { audit: audit<OnAlert>({ action: 'alert.ack', target: alertTarget }) } }, async (req) => {
    // a paired wall screen may acknowledge what it shows (and do nothing else)
    const alert = req.user?.display ? await readVisibleAlert(ctx.alertReads ?? ctx.alerts, req.params.id, ctx.scope(req)) : await ctx.authorizeAlertAction(req, req.params.id);
    return { alert: await command(req, alert, { action: 'acknowledge' }) };
  });

  app.post<Assign>(
    '/:id/assign',
    { schema: { params: IdParams, body: AssignBody }, config: { audit: audit<Assign>({ action: 'alert.assign', target: alertTarget, detail: (req) => ({ assignee: req.body.assignee.trim() }) }) } },
    async (req) => {
      const alert = await ctx.authorizeAlertAction(req, req.params.id);
      return { alert: await command(req, alert, { action: 'assign', assignee: req.body.assignee.trim() }) };
    },
  );

  app.post<Resolve>(
    '/:id/resolve',
    { schema: { params: IdParams, body: ResolveBody }, config: { audit: audit<Resolve>({ action: 'alert.resolve', target: alertTarget, detail: (req) => ({ note: req.body.note.trim().slice(0, 500) }) }) } },
    async (req) => {
      const alert = await ctx.authorizeAlertAction(req, req.params.id);
      const note = req.body.note.trim();
      if (!note) throw new AlertErrors.NoteRequired();
      return { alert: await command(req, alert, { action: 'resolve', note }) };
    },
  );
};
