import net from 'node:net';
import tls from 'node:tls';
import { Aedes, type AedesOptions } from 'aedes';
import { mqttRefusalCounter } from '../auth/broker-auth.ts';
import { RateLimitedLog, type Logger } from '../log.ts';
import type { HubMetrics } from '../metrics.ts';
import { ConnectionGuard, DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './connection-guard.ts';

/** A client that has not sent its CONNECT by then is closed (aedes' default is 30 s). */
const CONNECT_TIMEOUT_MS = 10_000;

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  /** Policy hooks (authenticate, authorizePublish, authorizeSubscribe) are injected, not hard-wired. */
  hooks?: Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>;
  /** Also listen for MQTT over TLS (mqtts://) on this port, with this PEM certificate and key. */
  tls?: { port: number; cert: Buffer; key: Buffer };
  /**
   * Every authorized publish (device messages, wills) before aedes acknowledges or forwards it:
   * aedes writes the QoS 1 PUBACK only once `done` is called, so the hub calls it after spooling.
   */
  onPublish?: (packet: { topic: string; payload: Buffer | string }, done: () => void) => void;
  /** Where the connection guard counts and logs its refusals (hub_mqtt_refused_total). */
  metrics?: HubMetrics;
  log?: Logger;
  limits?: Partial<ConnectionLimits>;
}

/** The zero-setup broker: aedes on a TCP port, used when MQTT_URL is not set. */
export class EmbeddedBroker {
  private aedes: Aedes | undefined;
  private server: net.Server | undefined;
  private tlsServer: tls.Server | undefined;
  port = 0;
  tlsPort = 0;

  constructor(private readonly opts: EmbeddedBrokerOptions) {}

  async start(): Promise<void> {
    const refused = this.opts.metrics ? mqttRefusalCounter(this.opts.metrics) : undefined;
    const log = this.opts.log ? new RateLimitedLog(this.opts.log) : undefined;
    const guard = new ConnectionGuard({ ...DEFAULT_CONNECTION_LIMITS, ...this.opts.limits }, (reason, detail) => {
      refused?.inc({ reason });
      log?.warn(reason, detail, `MQTT connection refused: ${reason.replaceAll('_', ' ')}`);
    });
    const hooks = { ...(this.opts.hooks ?? {}) };
    const onPublish = this.opts.onPublish;
    if (onPublish) {
      const authorize = hooks.authorizePublish;
      // aedes runs authorizePublish, then the PUBACK, then the forward: holding the callback holds the PUBACK.
      hooks.authorizePublish = (client, packet, done) => {
        const pass = () => onPublish(packet, () => done(null));
        if (!authorize) return pass();
        authorize(client, packet, (err) => (err ? done(err) : pass()));
      };
    }
    const authenticate = hooks.authenticate;
    this.aedes = await Aedes.createBroker({
      ...hooks,
      connectTimeout: CONNECT_TIMEOUT_MS,
      ...(authenticate
        ? {
            authenticate: (client, username, password, done) =>
              authenticate(client, username, password, (err, ok) => {
                if (!err && ok) guard.authenticated(client.conn);
                done(err, ok);
              }),
          }
        : {}),
    });
    const aedes = this.aedes;
    const server = net.createServer((socket) => {
      if (!guard.admit(socket)) return;
      guard.watch(socket);
      aedes.handle(socket);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    if (this.opts.tls) {
      const secure = tls.createServer({ cert: this.opts.tls.cert, key: this.opts.tls.key, minVersion: 'TLSv1.2', handshakeTimeout: CONNECT_TIMEOUT_MS }, (socket) => {
        guard.adopt(socket);
        guard.watch(socket);
        aedes.handle(socket);
      });
      // Counted before the handshake, so slow handshakes from one address are capped too.
      secure.on('connection', (raw: net.Socket) => guard.admit(raw));
      // A failed handshake (a scanner, a client that distrusts the cert) is the client's problem.
      secure.on('tlsClientError', () => {});
      this.tlsServer = secure;
      await new Promise<void>((resolve, reject) => {
        secure.once('error', reject);
        secure.listen(this.opts.tls!.port, this.opts.host, () => resolve());
      });
      this.tlsPort = (secure.address() as net.AddressInfo).port;
    }
  }

  get tlsUrl(): string | undefined {
    return this.tlsServer ? `mqtts://${this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host}:${this.tlsPort}` : undefined;
  }

  get url(): string {
    return `mqtt://${this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host}:${this.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    const aedes = this.aedes;
    const secure = this.tlsServer;
    // Stop accepting; aedes.close() below ends the live TLS clients.
    secure?.close();
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Close live client sockets too, or server.close waits for them.
        aedes?.close();
      });
    } else {
      await new Promise<void>((resolve) => aedes?.close(() => resolve()) ?? resolve());
    }
  }
}
