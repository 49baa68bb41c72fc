import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN } from '#devices';
import { AuthErrors } from '../../auth/errors.ts';
import { ALL } from '../../auth/roles.ts';
import { deviceProperties } from '../../grid/config-file.ts';
import type { HubContext } from '../context.ts';
import { audit } from '../plugins/audit.ts';

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
type Provision = { Body: Static<typeof NewDevice> };
type OnDevice = { Params: Static<typeof IdParams> };
type Gateway = { Body: Static<typeof NewGateway> };
type OnCredential = { Params: Static<typeof UsernameParams> };

/** POST /api/devices and device credentials (admin): the MQTT secret is in the answer, and nowhere else, ever. */
export const provisioningRoutes: FastifyPluginAsync<{ ctx: HubContext }> = async (app, { ctx }) => {
  const provisionAudit = audit<Provision>({
    action: 'device.provision',
    target: (req) => req.body.id,
    detail: ({ body: b }) => ({ kind: b.kind, communityId: b.communityId, gridCellId: b.gridCellId }),
  });
  app.post<Provision>('/', { schema: { body: NewDevice }, config: { ...admin, audit: provisionAudit } }, async (req, reply) => {
    const b = req.body;
    const taken = ctx.credentials.get(b.id);
    if (taken) throw new AuthErrors.CredentialExists(b.id);
    const device = ctx.provisionDevice(b);
    const password = ctx.credentials.issue(b.id, 'device', req.user!.username);
    if (!password) throw new AuthErrors.CredentialExists(b.id);
    return reply.status(201).send({ device, mqtt: { username: b.id, password } });
  });

  const rotateAudit = audit<OnDevice>({ action: 'device.credential_rotate', target: (req) => req.params.id });
  app.post<OnDevice>('/:id/credentials', { schema: { params: IdParams }, config: { ...admin, audit: rotateAudit } }, async (req) => {
    const device = ctx.registry.get(req.params.id);
    const existing = ctx.credentials.get(req.params.id);
    if (!device || (existing && existing.type !== 'device')) throw new AuthErrors.CredentialNotFound(req.params.id);
    const password = ctx.credentials.issue(req.params.id, 'device', req.user!.username, { replace: true })!;
    return { device, mqtt: { username: req.params.id, password } };
  });
};

/** MQTT accounts (admin): list, gateways, revoke, and the Mosquitto files. */
export const mqttRoutes: FastifyPluginAsync<{ ctx: HubContext }> = async (app, { ctx }) => {
  app.get('/credentials', { config: admin }, async () => ({
    credentials: ctx.credentials.list().map(({ hash: _hash, ...c }) => c),
  }));

  const gatewayAudit = audit<Gateway>({ action: 'gateway.create', target: (req) => req.body.id, detail: (req) => ({ communities: req.body.communities }) });
  app.post<Gateway>('/gateways', { schema: { body: NewGateway }, config: { ...admin, audit: gatewayAudit } }, async (req, reply) => {
    const { id, communities } = req.body;
    if (ctx.registry.get(id)) throw new AuthErrors.CredentialExists(id);
    const password = ctx.credentials.issue(id, 'gateway', req.user!.username, { communities: communities.includes(ALL) ? [ALL] : communities });
    if (!password) throw new AuthErrors.CredentialExists(id);
    return reply.status(201).send({ gateway: { id, communities }, mqtt: { username: id, password } });
  });

  // Read before the handler removes it: the entry names the revoked credential's type.
  const revokeAudit = audit<OnCredential>({ action: 'mqtt.credential_revoke', target: (req) => req.params.username, detail: (req) => ({ type: ctx.credentials.get(req.params.username)?.type }) });
  app.delete<OnCredential>('/credentials/:username', { schema: { params: UsernameParams }, config: { ...admin, audit: revokeAudit } }, async (req) => {
    const c = ctx.credentials.get(req.params.username);
    if (!c || c.type === 'hub') throw new AuthErrors.CredentialNotFound(req.params.username);
    ctx.credentials.revoke(c.username);
    return { ok: true };
  });

  app.get('/mosquitto-config', { config: { ...admin, audit: audit({ action: 'mqtt.config_export' }) } }, async () => ctx.mosquittoFiles());
};
