import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { AuthErrors } from '../../auth/errors.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, passwordAcceptable, verifyPassword } from '../../auth/passwords.ts';
import { publicUser } from '../../auth/roles.ts';
import type { HubContext } from '../context.ts';
import { SESSION_COOKIE, sessionCookieOptions } from '../plugins/auth.ts';
import type { HttpSecurityOptions } from '../plugins/security.ts';
import { audit } from '../plugins/audit.ts';

export const USERNAME_PATTERN = '^[A-Za-z0-9_.@-]{1,64}$';
const Username = Type.String({ pattern: USERNAME_PATTERN });
const LoginBody = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }) }, { additionalProperties: false });
const SetupBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 200 }), username: Username, password: Type.String({ maxLength: MAX_PASSWORD_LENGTH }), displayName: Type.Optional(Type.String({ maxLength: 100 })) },
  { additionalProperties: false },
);
const PasswordBody = Type.Object({ currentPassword: Type.String({ maxLength: MAX_PASSWORD_LENGTH }), newPassword: Type.String({ maxLength: MAX_PASSWORD_LENGTH }) }, { additionalProperties: false });

/** Login, logout, who am I, first-admin setup, own password change. */
export const authRoutes: FastifyPluginAsync<{ ctx: HubContext; security: HttpSecurityOptions }> = async (app, { ctx, security }) => {
  const strict = { rateLimit: { max: security.loginRateLimitPerMinute, timeWindow: 60_000 } };
  const clearCookie = (reply: FastifyReply) => reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: security.tls });

  app.post<{ Body: Static<typeof LoginBody> }>('/login', { schema: { body: LoginBody }, config: { access: 'public', ...strict } }, async (req, reply) => {
    const { token, session, principal } = await ctx.auth.login(req.body.username, req.body.password, req.ip);
    void reply.setCookie(SESSION_COOKIE, token, sessionCookieOptions(security, security.sessionTtlMs));
    return { token, expiresAt: session.expiresAt, user: publicUser(principal) };
  });

  const logoutAudit = audit({ action: 'auth.logout', actor: (req) => req.session?.username });
  app.post('/logout', { config: { access: 'public', audit: logoutAudit } }, async (req, reply) => {
    if (req.session) await ctx.auth.sessions.revoke(req.session);
    clearCookie(reply);
    return { ok: true };
  });

  app.get('/me', async (req) => ({ user: publicUser(req.user!), expiresAt: req.session!.expiresAt }));

  app.get('/setup', { config: { access: 'public' } }, async () => ({ open: await ctx.auth.setupOpen() }));

  app.post<{ Body: Static<typeof SetupBody> }>('/setup', { schema: { body: SetupBody }, config: { access: 'public', ...strict } }, async (req, reply) => {
    const { token, ...user } = req.body;
    await ctx.auth.setup(token, user, req.ip);
    return reply.status(201).send({ user: { username: user.username, role: 'admin' } });
  });

  const passwordAudit = audit({ action: 'user.password', target: (req) => req.user!.username });
  app.post<{ Body: Static<typeof PasswordBody> }>('/password', { schema: { body: PasswordBody }, config: { ...strict, audit: passwordAudit } }, async (req, reply) => {
    const username = req.user!.username;
    const hash = await ctx.auth.users.passwordHash(username);
    if (!hash || !(await verifyPassword(hash, req.body.currentPassword))) throw new AuthErrors.BadCredentials();
    if (!passwordAcceptable(req.body.newPassword)) throw new AuthErrors.WeakPassword(MIN_PASSWORD_LENGTH);
    await ctx.auth.users.update(username, { password: req.body.newPassword });
    await ctx.auth.sessions.revokeUser(username);
    clearCookie(reply);
    return { ok: true, message: 'password changed; log in again' };
  });
};
