import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN } from '#devices';
import { AuthErrors } from '../../auth/errors.ts';
import { ALL } from '../../auth/roles.ts';
import { deviceProperties } from '../../grid/config-file.ts';
import type { HubContext } from '../context.ts';

const Id = Type.String({ pattern: ID_PATTERN });
const NewDevice = Type.Object(
  {
    ...deviceProperties,
    location: Type.Optional(Type.Object({ x: Type.Number(), y: Type.Number() }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Id });
const NewGateway = Type.Object(
  {
    id: Id,
    communities: Type.Array(Type.String({ pattern: `^(\\*|${ID_PATTERN.replace(/^\^|\$$/g, '')})$` }), { minItems: 1, maxItems: 1000 }),
  },
  { additionalProperties: false },
);
const UsernameParams = Type.Object({ username: Type.String({ pattern: '^[A-Za-z0-9_.@-]{1,128}$' }) });

const admin = { access: ['admin'] as const };

/** POST /api/devices and device credentials (admin): the MQTT secret is in the answer, and nowhere else, ever. */
export const provisioningRoutes: FastifyPluginAsync<{ ctx: HubContext }> = async (app, { ctx }) => {
  app.post<{ Body: Static<typeof NewDevice> }>('/', { schema: { body: NewDevice }, config: admin }, async (req, reply) => {
    const b = req.body;
    const taken = ctx.credentials.get(b.id);
    if (taken) throw new AuthErrors.CredentialExists(b.id);
    const device = ctx.provisionDevice(b);
    const password = ctx.credentials.issue(b.id, 'device', req.user!.username);
    if (!password) throw new AuthErrors.CredentialExists(b.id);
    ctx.auth.audit.record({ actor: req.user!.username, action: 'device.provision', target: b.id, ip: req.ip, detail: { kind: b.kind, communityId: b.communityId, gridCellId: b.gridCellId } });
    return reply.status(201).send({ device, mqtt: { username: b.id, password } });
  });

  app.post<{ Params: Static<typeof IdParams> }>('/:id/credentials', { schema: { params: IdParams }, config: admin }, async (req) => {
    const device = ctx.registry.get(req.params.id);
    const existing = ctx.credentials.get(req.params.id);
    if (!device || (existing && existing.type !== 'device')) throw new AuthErrors.CredentialNotFound(req.params.id);
    const password = ctx.credentials.issue(req.params.id, 'device', req.user!.username, { replace: true })!;
    ctx.auth.audit.record({ actor: req.user!.username, action: 'device.credential_rotate', target: req.params.id, ip: req.ip });
    return { device, mqtt: { username: req.params.id, password } };
  });
};

/** MQTT accounts (admin): list, gateways, revoke, and the Mosquitto files. */
export const mqttRoutes: FastifyPluginAsync<{ ctx: HubContext }> = async (app, { ctx }) => {
  app.get('/credentials', { config: admin }, async () => ({
    credentials: ctx.credentials.list().map(({ hash: _hash, ...c }) => c),
  }));

  app.post<{ Body: Static<typeof NewGateway> }>('/gateways', { schema: { body: NewGateway }, config: admin }, async (req, reply) => {
    const { id, communities } = req.body;
    if (ctx.registry.get(id)) throw new AuthErrors.CredentialExists(id);
    const password = ctx.credentials.issue(id, 'gateway', req.user!.username, { communities: communities.includes(ALL) ? [ALL] : communities });
    if (!password) throw new AuthErrors.CredentialExists(id);
    ctx.auth.audit.record({ actor: req.user!.username, action: 'gateway.create', target: id, ip: req.ip, detail: { communities } });
    return reply.status(201).send({ gateway: { id, communities }, mqtt: { username: id, password } });
  });

  app.delete<{ Params: Static<typeof UsernameParams> }>('/credentials/:username', { schema: { params: UsernameParams }, config: admin }, async (req) => {
    const c = ctx.credentials.get(req.params.username);
    if (!c || c.type === 'hub') throw new AuthErrors.CredentialNotFound(req.params.username);
    ctx.credentials.revoke(c.username);
    ctx.auth.audit.record({ actor: req.user!.username, action: 'mqtt.credential_revoke', target: c.username, ip: req.ip, detail: { type: c.type } });
    return { ok: true };
  });

  app.get('/mosquitto-config', { config: admin }, async (req) => {
    ctx.auth.audit.record({ actor: req.user!.username, action: 'mqtt.config_export', ip: req.ip });
    return ctx.mosquittoFiles();
  });
};
