import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import helmet from 'helmet';
import { AuthErrors } from '../../auth/errors.ts';

export interface HttpSecurityOptions {
  /** Origins (scheme://host:port) allowed cross-origin; none: no CORS headers at all. */
  corsOrigins: readonly string[];
  /** Requests per minute per client IP, all routes. */
  rateLimitPerMinute: number;
  /** Login and setup attempts per minute per client IP. */
  loginRateLimitPerMinute: number;
  /** Served over TLS: secure cookies, HSTS. */
  tls: boolean;
  /** Bearer token that may read /metrics from other hosts than loopback. */
  metricsToken?: string | undefined;
  sessionTtlMs: number;
}

/** The request's own origin, as a browser on the same page would send it. */
export function selfOrigin(req: FastifyRequest, tls: boolean): string {
  return `${tls ? 'https' : 'http'}://${req.headers.host ?? ''}`;
}

export function originAllowed(req: FastifyRequest, o: HttpSecurityOptions): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return origin === selfOrigin(req, o.tls) || o.corsOrigins.includes(origin);
}

/**
 * Transport-level protection shared by every route: cookies, security headers with a CSP that
 * fits the Svelte dashboard (own scripts only; inline styles, which Svelte uses), per-IP rate
 * limits, and CORS that says nothing unless origins are configured.
 */
export async function registerSecurity(app: FastifyInstance, o: HttpSecurityOptions): Promise<void> {
  await app.register(fastifyCookie);
  // Built once: @fastify/helmet called helmet(options) on every request, parsing and checking
  // the whole CSP again each time (an eighth of a small request's CPU).
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        fontSrc: ["'self'", 'data:'],
        mediaSrc: ["'self'", 'data:', 'blob:'],
        // CSP3: 'self' covers ws:/wss: to the same host, which is all /ws needs.
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        // upgrade-insecure-requests would break a plain-HTTP hub on a LAN address.
        ...(o.tls ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    hsts: o.tls ? { maxAge: 15_552_000, includeSubDomains: false } : false,
    crossOriginEmbedderPolicy: false,
  });
  app.addHook('onRequest', (req, reply, done) => {
    // A platform's push route sets its own fixed headers (routes/ingest-adapters.ts).
    if (req.routeOptions.config.access === 'platform') return done();
    securityHeaders(req.raw, reply.raw, (err?: unknown) => done(err as Error | undefined));
  });
  await app.register(fastifyRateLimit, {
    global: true,
    max: o.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => req.ip,
    errorResponseBuilder: (_req, ctx) => new AuthErrors.RateLimited(Math.max(1, Math.ceil(ctx.ttl / 1000))),
  });

  if (o.corsOrigins.length > 0) {
    app.addHook('onRequest', async (req, reply) => {
      const origin = req.headers.origin;
      if (!origin || !o.corsOrigins.includes(origin)) return;
      void reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
      if (req.method === 'OPTIONS') {
        void reply
          .header('access-control-allow-methods', 'GET, POST, PATCH, DELETE')
          .header('access-control-allow-headers', 'authorization, content-type, x-requested-with')
          .header('access-control-max-age', '600');
      }
    });
  }
  // Preflights: answered (no CORS headers unless configured above), never routed to handlers.
  app.options('/*', { config: { access: 'public' } }, async (_req, reply) => reply.status(204).send());
}
