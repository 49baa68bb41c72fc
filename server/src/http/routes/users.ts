import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN } from '#devices';
import { AuthErrors } from '../../auth/errors.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, passwordAcceptable } from '../../auth/passwords.ts';
import { ALL, ROLES, type UserRecord } from '../../auth/roles.ts';
import type { HubContext } from '../context.ts';
import { USERNAME_PATTERN } from './auth.ts';
import { audit } from '../plugins/audit.ts';

const Role = Type.Union(ROLES.map((r) => Type.Literal(r)));
const Communities = Type.Array(Type.String({ pattern: `^(\\*|${ID_PATTERN.replace(/^\^|\$$/g, '')})$` }), { maxItems: 1000 });
const Cells = Type.Array(Type.String({ pattern: ID_PATTERN }), { maxItems: 1000 });
const NewUserBody = Type.Object(
  {
    username: Type.String({ pattern: USERNAME_PATTERN }),
    password: Type.String({ maxLength: MAX_PASSWORD_LENGTH }),
    role: Role,
    displayName: Type.Optional(Type.String({ maxLength: 100 })),
    communities: Type.Optional(Communities),
    cells: Type.Optional(Cells),
    workerId: Type.Optional(Type.String({ pattern: ID_PATTERN })),
  },
  { additionalProperties: false },
);
const PatchBody = Type.Object(
  {
    password: Type.Optional(Type.String({ maxLength: MAX_PASSWORD_LENGTH })),
    role: Type.Optional(Role),
    displayName: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
    communities: Type.Optional(Communities),
    cells: Type.Optional(Cells),
    workerId: Type.Optional(Type.Union([Type.String({ pattern: ID_PATTERN }), Type.Null()])),
    disabled: Type.Optional(Type.Boolean()),
    /** clears a login lockout */
    unlock: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const UserParams = Type.Object({ username: Type.String({ pattern: USERNAME_PATTERN }) });
const AuditQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
  beforeId: Type.Optional(Type.Integer({ minimum: 1 })),
  action: Type.Optional(Type.String({ pattern: '^[a-z_.]{1,64}$' })),
  actor: Type.Optional(Type.String({ maxLength: 100 })),
});

const admin = { access: ['admin'] as const };
type NewUser = { Body: Static<typeof NewUserBody> };
type Patch = { Params: Static<typeof UserParams>; Body: Static<typeof PatchBody> };

function view(u: UserRecord) {
  return { ...u };
}

/** Accounts (admin) and the audit log (admin). */
export const userRoutes: FastifyPluginAsync<{ ctx: HubContext }> = async (app, { ctx }) => {
  const checkScope = (b: { role?: string; communities?: string[]; cells?: string[]; workerId?: string | null }) => {
    if ((b.role === 'operator' || b.role === 'viewer') && !(b.communities?.length)) throw new AuthErrors.BadScope(`an ${b.role} needs "communities" (ids, or "${ALL}" for all)`);
    if (b.role === 'worker' && !(b.cells?.length) && !b.workerId) throw new AuthErrors.BadScope('a worker needs "workerId" (a grid worker of the config file) or "cells"');
    if (b.workerId && !ctx.grid.person(b.workerId)) throw new AuthErrors.BadScope(`no grid worker ${b.workerId} in the config file`);
  };

  app.get('/', { config: admin }, async () => ({ users: (await ctx.auth.users.list()).map(view) }));

  const createAudit = audit<NewUser>({
    action: 'user.create',
    target: (req) => req.body.username,
    detail: ({ body: b }) => ({ role: b.role, communities: b.communities, cells: b.cells, workerId: b.workerId }),
  });
  app.post<NewUser>('/', { schema: { body: NewUserBody }, config: { ...admin, audit: createAudit } }, async (req, reply) => {
    const b = req.body;
    if (!passwordAcceptable(b.password)) throw new AuthErrors.WeakPassword(MIN_PASSWORD_LENGTH);
    checkScope(b);
    if (!(await ctx.auth.users.create(b))) throw new AuthErrors.UserExists(b.username);
    return reply.status(201).send({ user: view((await ctx.auth.users.get(b.username))!) });
  });

  const updateAudit = audit<Patch>({
    action: 'user.update',
    // The stored name (usernames match without regard to case).
    target: async (req) => (await ctx.auth.users.get(req.params.username))?.username,
    detail: (req) => {
      const { unlock, password, ...logged } = req.body;
      return { ...logged, ...(password !== undefined ? { password: 'changed' } : {}), ...(unlock ? { unlock } : {}) };
    },
  });
  app.patch<Patch>(
    '/:username',
    { schema: { params: UserParams, body: PatchBody }, config: { ...admin, audit: updateAudit } },
    async (req) => {
      const current = await ctx.auth.users.get(req.params.username);
      if (!current) throw new AuthErrors.UserNotFound(req.params.username);
      const { unlock, ...patch } = req.body;
      if (patch.password !== undefined && !passwordAcceptable(patch.password)) throw new AuthErrors.WeakPassword(MIN_PASSWORD_LENGTH);
      checkScope({ ...current, ...patch });
      const user = (await ctx.auth.users.update(current.username, patch))!;
      if (unlock) ctx.auth.throttle.reset(current.username);
      // Any change to who someone is or what they may do ends their sessions.
      if (patch.password !== undefined || patch.disabled || patch.role || patch.communities || patch.cells || patch.workerId !== undefined) await ctx.auth.sessions.revokeUser(current.username);
      return { user: view(user) };
    },
  );

  // An admin cannot delete their own account (the hub would be left without a way in).
  const deleteAudit = audit<{ Params: Static<typeof UserParams> }>({ action: 'user.delete', target: async (req) => (await ctx.auth.users.get(req.params.username))?.username ?? req.params.username });
  app.delete<{ Params: Static<typeof UserParams> }>('/:username', { schema: { params: UserParams }, config: { ...admin, audit: deleteAudit } }, async (req) => {
    const current = await ctx.auth.users.get(req.params.username);
    if (!current) throw new AuthErrors.UserNotFound(req.params.username);
    if (current.username.toLowerCase() === req.user!.username.toLowerCase()) throw new AuthErrors.BadScope('you cannot delete your own account');
    await ctx.auth.sessions.revokeUser(current.username);
    await ctx.auth.users.remove(current.username);
    return { ok: true };
  });
};

/** GET /api/audit: the same log at its documented address. */
export const auditRoutes: FastifyPluginAsync<{ ctx: HubContext }> = async (app, { ctx }) => {
  app.get<{ Querystring: Static<typeof AuditQuery> }>('/', { schema: { querystring: AuditQuery }, config: admin }, async (req) => ({ entries: await ctx.auth.audit.list(req.query) }));
};
