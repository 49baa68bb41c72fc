import fs from 'node:fs';
import path from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyError } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Logger } from '../log.ts';
import type { HubContext } from './context.ts';
import { healthRoutes } from './routes/health.ts';
import { deviceRoutes } from './routes/devices.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { alertRoutes } from './routes/alerts.ts';
import { snapshotRoutes } from './routes/snapshots.ts';
import { cameraSnapshotRoutes } from './routes/camera-snapshots.ts';
import type { CameraService } from '../cameras/camera-service.ts';
import type { SnapshotStore } from '../cameras/snapshot-store.ts';
import { gridRoutes } from './routes/grid.ts';
import { statsRoutes } from './routes/stats.ts';
import { liveRoutes } from './routes/live.ts';
import fastifyWebsocket from '@fastify/websocket';
import { authRoutes } from './routes/auth.ts';
import { auditRoutes, userRoutes } from './routes/users.ts';
import { mqttRoutes, provisioningRoutes } from './routes/provisioning.ts';
import { displayRoutes } from './routes/displays.ts';
import { registerSecurity, type HttpSecurityOptions } from './plugins/security.ts';
import { installAuth } from './plugins/auth.ts';
import { installAudit } from './plugins/audit.ts';
import { refuseNonFiniteNumbers } from './time.ts';
import { trackRoutes } from './route-table.ts';
import { ingestAdapterRoutes } from './routes/ingest-adapters.ts';
import type { PushAdapters } from '../ingest/adapters/index.ts';
import { wecomCallbackRoutes } from './routes/wecom-callback.ts';
import type { WeComCallback } from '../notify/people/wecom/callback.ts';
import { pushRoutes } from './routes/push.ts';
import { ackLinkRoutes } from './routes/ack-links.ts';
import type { PeopleDelivery } from '../notify/people/delivery.ts';
import { caseRoutes, caseStatsRoutes, residentReportRoutes } from './routes/cases.ts';
import type { CaseService } from '../cases/service.ts';
import type { ResidentReportGuard } from '../cases/resident-guard.ts';
import { alertSearchRoutes } from './routes/alert-search.ts';
import type { AlertSearchSource } from '../alerts/search.ts';
import { HTTP_CONNECTIONS_PER_ADDRESS, HTTP_TIMEOUTS, limitConnectionsPerAddress } from './plugins/connection-limits.ts';

export interface AppOptions {
  ctx: HubContext;
  log: Logger;
  dashboardDir: string;
  security: HttpSecurityOptions;
  /** PEM certificate and key: serve HTTPS (and WSS) instead of HTTP. */
  tls?: { cert: Buffer; key: Buffer } | undefined;
  /** Camera snapshots attached to alerts (served at /api/alerts/{id}/snapshots/{file}). */
  snapshots?: SnapshotStore;
  /** CTWing / OneNET HTTP push endpoints (docs/platforms.md). */
  pushAdapters?: PushAdapters;
  /** The WeCom app's callback URL handler, when WeCom is configured with a callback token and key. */
  wecomCallback?: WeComCallback;
  /** Delivery to people: the push subscription routes and the one-tap acknowledgement links. */
  delivery?: PeopleDelivery;
  /** Cases (事件): /api/cases, /api/stats/cases and the residents' public report form. */
  cases?: { service: CaseService; guard: ResidentReportGuard; utcOffsetMin: number };
  /** Search and CSV export over stored alerts: /api/alerts/search, /api/alerts/export.csv. */
  alertSearch?: { search: AlertSearchSource; utcOffsetMin: number };
  /** The ONVIF cameras, once started: live snapshots at /api/devices/{id}/camera-snapshot. */
  cameras?: () => Pick<CameraService, 'liveSnapshot'> | undefined;
}

/** Builds the HTTP app; never listens (main.ts does), so tests drive it with inject(). */
export async function buildApp({ ctx, log, dashboardDir, security, tls, snapshots, pushAdapters, wecomCallback, delivery, cases, alertSearch, cameras }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: log.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    // A stuck or hostile client must not hold up the hub's shutdown.
    forceCloseConnections: true,
    connectionTimeout: HTTP_TIMEOUTS.connectionTimeoutMs,
    keepAliveTimeout: HTTP_TIMEOUTS.keepAliveTimeoutMs,
    requestTimeout: HTTP_TIMEOUTS.requestTimeoutMs,
    http: { headersTimeout: HTTP_TIMEOUTS.headersTimeoutMs, requestTimeout: HTTP_TIMEOUTS.requestTimeoutMs, connectionsCheckingInterval: HTTP_TIMEOUTS.checkIntervalMs },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    ...(tls
      ? {
          https: {
            cert: tls.cert,
            key: tls.key,
            headersTimeout: HTTP_TIMEOUTS.headersTimeoutMs,
            requestTimeout: HTTP_TIMEOUTS.requestTimeoutMs,
            connectionsCheckingInterval: HTTP_TIMEOUTS.checkIntervalMs,
            handshakeTimeout: HTTP_TIMEOUTS.headersTimeoutMs,
          },
        }
      : {}),
  }) as unknown as FastifyInstance;
  limitConnectionsPerAddress(app.server, { perAddress: HTTP_CONNECTIONS_PER_ADDRESS, metrics: ctx.metrics, log: log.child({ component: 'http' }) });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    // An unexpected error (no status of its own: a driver's, a bug) says nothing of its insides.
    const expected = status < 500 || (err.statusCode !== undefined && err.code !== undefined);
    void reply.status(status).send(expected ? { error: err.code ?? 'BAD_REQUEST', message: err.message } : { error: 'INTERNAL', message: 'internal error' });
  });

  trackRoutes(app);
  refuseNonFiniteNumbers(app);
  await registerSecurity(app, security);
  // Before the auth hook: its own onRequest hook marks upgrade requests, so a refused upgrade's socket gets closed.
  await app.register(fastifyWebsocket, { options: { maxPayload: 4096 } });
  installAuth(app, ctx.auth, security);
  installAudit(app, ctx.auth.audit, ctx.actor);

  await app.register(healthRoutes, { ctx });
  await app.register(authRoutes, { ctx, security, prefix: '/api/auth' });
  await app.register(userRoutes, { ctx, prefix: '/api/users' });
  await app.register(auditRoutes, { ctx, prefix: '/api/audit' });
  await app.register(provisioningRoutes, { ctx, prefix: '/api/devices' });
  await app.register(mqttRoutes, { ctx, prefix: '/api/mqtt' });
  await app.register(displayRoutes, { ctx, security, prefix: '/api/displays' });
  await app.register(deviceRoutes, { ctx, prefix: '/api/devices' });
  await app.register(ingestRoutes, { ctx, prefix: '/api/ingest' });
  await app.register(alertRoutes, { ctx, prefix: '/api/alerts' });
  if (alertSearch) await app.register(alertSearchRoutes, { ctx, search: alertSearch.search, utcOffsetMin: alertSearch.utcOffsetMin, prefix: '/api/alerts' });
  if (snapshots) await app.register(snapshotRoutes, { ctx, snapshots, prefix: '/api/alerts' });
  if (cameras) await app.register(cameraSnapshotRoutes, { ctx, cameras, prefix: '/api/devices' });
  await app.register(gridRoutes, { ctx, prefix: '/api/grid' });
  await app.register(statsRoutes, { ctx, prefix: '/api/stats' });
  await app.register(liveRoutes, { ctx });
  if (pushAdapters) await app.register(ingestAdapterRoutes, { adapters: pushAdapters, prefix: '/api/ingest' });
  if (wecomCallback) await app.register(wecomCallbackRoutes, { callback: wecomCallback, prefix: '/api/wecom' });
  if (delivery) {
    await app.register(pushRoutes, { delivery, prefix: '/api/push' });
    await app.register(ackLinkRoutes, { delivery });
  }
  if (cases) {
    await app.register(caseRoutes, { ctx, cases: cases.service, guard: cases.guard, utcOffsetMin: cases.utcOffsetMin, prefix: '/api/cases' });
    await app.register(residentReportRoutes, { ctx, cases: cases.service, guard: cases.guard, prefix: '/api/public' });
    await app.register(caseStatsRoutes, { ctx, cases: cases.service, utcOffsetMin: cases.utcOffsetMin, prefix: '/api/stats/cases' });
  }

  const index = path.join(dashboardDir, 'index.html');
  if (fs.existsSync(index)) {
    // The dashboard's files are public (its login screen is one of them); nothing else is.
    await app.register(async (files) => {
      files.addHook('onRoute', (route) => {
        route.config = { ...(route.config ?? {}), access: 'public' };
      });
      await files.register(fastifyStatic, { root: dashboardDir, wildcard: false, index: 'index.html' });
    });
  }
  // API paths get JSON 404s; anything else is a dashboard route (SPA fallback) or the placeholder.
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, (req, reply) => {
    if (req.method === 'GET' && !req.url.startsWith('/api/') && req.url !== '/ws') {
      if (fs.existsSync(index)) return reply.type('text/html').send(fs.createReadStream(index));
      return reply.type('text/html').send(placeholderPage());
    }
    return reply.status(404).send({ error: 'NOT_FOUND', message: `${req.method} ${req.url.split('?')[0]} not found` });
  });
  return app;
}

function placeholderPage(): string {
  return `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>社区安全中枢 Community safety hub</title>
<body style="font-family:sans-serif;background:#111;color:#eee;padding:2em">
<h1>社区安全中枢 · Community safety hub</h1>
<p>看板尚未构建。运行 <code>npm run build</code> 后刷新。<br>The dashboard is not built yet: run <code>npm run build</code>, then reload.</p>
<p><a style="color:#8cf" href="/api/devices">/api/devices</a> · <a style="color:#8cf" href="/healthz">/healthz</a> · <a style="color:#8cf" href="/metrics">/metrics</a></p>
</body></html>`;
}
