import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN } from '#devices';
import { AuthErrors } from '../../auth/errors.ts';
import { PAIRING_TTL_MS } from '../../auth/displays.ts';
import type { HubContext } from '../context.ts';
import { SESSION_COOKIE, sessionCookieOptions } from '../plugins/auth.ts';
import type { HttpSecurityOptions } from '../plugins/security.ts';
import { audit } from '../plugins/audit.ts';

const NewDisplay = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    communities: Type.Array(Type.String({ pattern: `^(\\*|${ID_PATTERN.replace(/^\^|\$$/g, '')})$` }), { minItems: 1, maxItems: 1000 }),
  },
  { additionalProperties: false },
);
const PairBody = Type.Object({ code: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
const IdParams = Type.Object({ id: Type.String({ pattern: '^d-[a-z0-9x]{1,20}$' }) });
const admin = { access: ['admin'] as const };
// a year: the cookie outlives any shift; revoking the display is what ends it
const DISPLAY_COOKIE_MS = 365 * 24 * 3600_000;

/** Wall screens (kiosk mode): admin creates and revokes; the screen pairs once with the code. */
export const displayRoutes: FastifyPluginAsync<{ ctx: HubContext; security: HttpSecurityOptions }> = async (app, { ctx, security }) => {
  const displays = ctx.auth.displays;
  app.get('/', { config: admin }, async () => ({ displays: await displays.list() }));

  const createAudit = audit<{ Body: Static<typeof NewDisplay> }>({ action: 'display.create', target: (req) => req.body.name, detail: (req) => ({ communities: req.body.communities }) });
  app.post<{ Body: Static<typeof NewDisplay> }>('/', { schema: { body: NewDisplay }, config: { ...admin, audit: createAudit } }, async (req, reply) => {
    const { display, code } = await displays.create(req.body.name, req.body.communities, req.user!.username);
    return reply.status(201).send({ display, code, url: `/display?code=${encodeURIComponent(code)}`, expiresInS: PAIRING_TTL_MS / 1000 });
  });

  const pairAudit = audit({ action: 'display.pair', actor: () => 'display' });
  app.post<{ Body: Static<typeof PairBody> }>(
    '/pair',
    { schema: { body: PairBody }, config: { access: 'public', audit: pairAudit, rateLimit: { max: security.loginRateLimitPerMinute, timeWindow: 60_000 } } },
    async (req, reply) => {
      const paired = await displays.pair(req.body.code);
      if (!paired) throw new AuthErrors.BadCredentials();
      void reply.setCookie(SESSION_COOKIE, paired.token, sessionCookieOptions(security, DISPLAY_COOKIE_MS));
      return { token: paired.token, display: paired.display };
    },
  );

  const revokeAudit = audit<{ Params: Static<typeof IdParams> }>({ action: 'display.revoke', target: async (req) => (await displays.get(req.params.id))?.name ?? req.params.id });
  app.delete<{ Params: Static<typeof IdParams> }>('/:id', { schema: { params: IdParams }, config: { ...admin, audit: revokeAudit } }, async (req) => {
    if (!(await displays.revoke(req.params.id))) throw new AuthErrors.UserNotFound(req.params.id);
    return { ok: true };
  });
};
