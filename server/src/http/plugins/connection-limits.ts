import type http from 'node:http';
import type net from 'node:net';
import { Counter } from 'prom-client';
import type { HubMetrics } from '../../metrics.ts';
import { RateLimitedLog, type Logger } from '../../log.ts';
import { addressKey } from '../../ingest/connection-guard.ts';

/**
 * How long a client may take, set once for the HTTP(S) server. Without them a client that never
 * finishes its headers holds a socket forever (Fastify's requestTimeout 0 also turns off Node's
 * headersTimeout), and ~21,000 such sockets used up the file descriptors.
 */
export const HTTP_TIMEOUTS = {
  /** Whole request line and headers. */
  headersTimeoutMs: 10_000,
  /** Whole request, body included (bodies are at most 64 KiB). */
  requestTimeoutMs: 30_000,
  /** An idle keep-alive connection between requests: Fastify's default, above a reverse proxy's usual 60 s, so the proxy closes first. */
  keepAliveTimeoutMs: 72_000,
  /** Any socket with no traffic at all (WebSockets are exempt once upgraded); above keepAliveTimeoutMs. */
  connectionTimeoutMs: 120_000,
  /** How often Node checks the header and request deadlines. */
  checkIntervalMs: 1_000,
};

/** Open HTTP connections per source address: a control room behind NAT has a few dozen browsers. */
export const HTTP_CONNECTIONS_PER_ADDRESS = 256;

/** Caps open connections per source address; over the cap the socket is closed unanswered. */
export function limitConnectionsPerAddress(server: http.Server, opts: { perAddress: number; metrics: HubMetrics; log: Logger }): void {
  const existing = opts.metrics.registry.getSingleMetric('hub_http_connections_refused_total') as Counter<'reason'> | undefined;
  const refused =
    existing ??
    new Counter({
      name: 'hub_http_connections_refused_total',
      help: 'HTTP connections closed before a request, by reason',
      labelNames: ['reason'] as const,
      registers: [opts.metrics.registry],
    });
  const log = new RateLimitedLog(opts.log);
  const open = new Map<string, number>();
  server.on('connection', (socket: net.Socket) => {
    const address = addressKey(socket.remoteAddress);
    const n = open.get(address) ?? 0;
    if (n >= opts.perAddress) {
      refused.inc({ reason: 'too_many_connections' });
      log.warn('too_many_connections', { address, open: n }, 'HTTP connection refused: too many from one address');
      socket.destroy();
      return;
    }
    open.set(address, n + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
  // An upgraded WebSocket is idle between alerts; its liveness is the WebSocket's own business.
  server.on('upgrade', (_req: http.IncomingMessage, socket: net.Socket) => socket.setTimeout(0));
}
