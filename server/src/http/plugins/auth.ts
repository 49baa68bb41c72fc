import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService } from '../../auth/service.ts';
import { AuthErrors } from '../../auth/errors.ts';
import type { Principal, Role } from '../../auth/roles.ts';
import type { Session } from '../../auth/sessions.ts';
import { sameSecret } from '../../auth/tokens.ts';
import { originAllowed, type HttpSecurityOptions } from './security.ts';

export const SESSION_COOKIE = 'hub_session';

/**
 * Who may call a route, set as `config: { access }`:
 * - absent: any logged-in user;
 * - a list of roles: logged in with one of them;
 * - 'public': anyone (health, login, the dashboard's static files);
 * - 'metrics': loopback, the metrics token, or an admin;
 * - 'platform': a machine (a carrier's platform) that the route authenticates itself, by its
 *   product token or signature; no hub session is read or renewed there.
 */
export type Access = 'public' | 'metrics' | 'platform' | readonly Role[];

declare module 'fastify' {
  interface FastifyRequest {
    user: Principal | null;
    session: Session | null;
    authVia: 'cookie' | 'bearer' | null;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The session cookie's attributes, the same at login and on renewal. */
export function sessionCookieOptions(o: Pick<HttpSecurityOptions, 'tls'>, ttlMs: number) {
  return { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: o.tls, maxAge: Math.floor(ttlMs / 1000) };
}

export function isLoopback(req: FastifyRequest): boolean {
  const a = req.socket.remoteAddress ?? '';
  return a === '127.0.0.1' || a === '::1' || a === '::ffff:127.0.0.1' || a.startsWith('127.');
}

function bearerOf(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer ([A-Za-z0-9._~+/=-]{1,200})$/.exec(h);
  return m?.[1];
}

/**
 * Authentication for every route, default-deny: a route is public only when it says so.
 * The session token comes from `Authorization: Bearer` (API clients) or the httpOnly cookie
 * (the dashboard). Cookie-authenticated state changes must prove they are not cross-site:
 * a same-origin (or configured) Origin, or, without Origin, a custom header (X-Requested-With),
 * which a cross-site form cannot send and cross-site script cannot send without a CORS
 * preflight that the hub never grants. SameSite=Strict on the cookie is the first wall.
 */
export function installAuth(app: FastifyInstance, auth: AuthService, o: HttpSecurityOptions): void {
  app.decorateRequest('user', null);
  app.decorateRequest('session', null);
  app.decorateRequest('authVia', null);

  app.addHook('onRequest', async (req, reply) => {
    const access = req.routeOptions.config?.access;
    // A browser's cookie sent along to a push URL must not resolve (or slide) its session there.
    if (access === 'platform') return;
    const bearer = bearerOf(req);
    const cookie = req.cookies?.[SESSION_COOKIE];
    const token = bearer ?? cookie;
    if (token) {
      const resolved = await auth.resolve(token);
      if (resolved) {
        req.user = resolved.principal;
        req.session = resolved.session;
        req.authVia = bearer ? 'bearer' : 'cookie';
        // the session slid: the browser's cookie must live as long as the session now does
        if (resolved.renewed && !bearer && cookie) void reply.setCookie(SESSION_COOKIE, cookie, sessionCookieOptions(o, auth.sessions.ttl));
      }
    }
    if (access === 'public') return;
    if (access === 'metrics') {
      if (isLoopback(req) || req.user?.role === 'admin') return;
      if (o.metricsToken && bearer && sameSecret(bearer, o.metricsToken)) return;
      throw new AuthErrors.Unauthorized();
    }
    // No route matched: non-API GETs are the dashboard's client-side routes (index.html).
    if (req.routeOptions.url === undefined && (req.method === 'GET' || req.method === 'HEAD') && !req.url.startsWith('/api/') && !req.url.startsWith('/ws')) return;
    if (!req.user) throw new AuthErrors.Unauthorized();
    if (req.authVia === 'cookie' && !SAFE_METHODS.has(req.method)) {
      if (req.headers.origin !== undefined ? !originAllowed(req, o) : req.headers['x-requested-with'] === undefined) throw new AuthErrors.Csrf();
    }
    // Cross-site WebSocket hijacking: a browser always sends Origin on the upgrade.
    if (req.routeOptions.url === '/ws' && !originAllowed(req, o)) throw new AuthErrors.Csrf();
    if (Array.isArray(access) && !access.includes(req.user.role)) throw new AuthErrors.Forbidden(`needs role ${access.join(' or ')}`);
  });
}
