import type { FastifyInstance, FastifyRequest, RouteGenericInterface } from 'fastify';
import type { AuditStore } from '../../auth/audit.ts';

/**
 * What a route records in the audit log when it succeeds, set as `config: { audit }`. The
 * functions read the validated request before the handler runs, so they still see what the
 * handler changes or removes (a revoked credential's type, a user's stored name).
 */
export interface AuditSpec<R extends RouteGenericInterface = RouteGenericInterface> {
  action: string;
  /** Who acted; default: the logged-in user. Undefined: nothing to record (logout without a session). */
  actor?(req: FastifyRequest<R>): string | undefined;
  target?(req: FastifyRequest<R>): string | undefined | Promise<string | undefined>;
  detail?(req: FastifyRequest<R>): Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    audit?: AuditSpec;
  }
}

/** Types a route's audit spec against its request (params, body) where the route declares it. */
export function audit<R extends RouteGenericInterface = RouteGenericInterface>(spec: AuditSpec<R>): AuditSpec {
  return spec as AuditSpec;
}

interface Pending {
  actor: string;
  target?: string;
  detail?: Record<string, unknown>;
}

/**
 * The one place audit entries of HTTP actions are written: each route with `config.audit` gets a
 * preHandler that reads who and what, and an onSend that records it when the answer is a success
 * (a refused or failed request changed nothing, so it records nothing).
 */
export function installAudit(app: FastifyInstance, log: AuditStore, defaultActor: (req: FastifyRequest) => string): void {
  const pending = new WeakMap<FastifyRequest, Pending>();
  app.addHook('onRoute', (route) => {
    const spec = route.config?.audit;
    if (!spec) return;
    const capture = async (req: FastifyRequest) => {
      const actor = spec.actor ? spec.actor(req) : defaultActor(req);
      if (actor === undefined) return;
      const target = await spec.target?.(req);
      const detail = spec.detail?.(req);
      pending.set(req, { actor, ...(target !== undefined ? { target } : {}), ...(detail !== undefined ? { detail } : {}) });
    };
    const record = async (req: FastifyRequest, reply: { statusCode: number }, payload: unknown) => {
      const entry = pending.get(req);
      if (entry && reply.statusCode < 400) await log.record({ ...entry, action: spec.action, ip: req.ip });
      return payload;
    };
    route.preHandler = [...[route.preHandler ?? []].flat(), capture];
    route.onSend = [...[route.onSend ?? []].flat(), record];
  });
}
