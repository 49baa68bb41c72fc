import net from 'node:net';
import tls from 'node:tls';
import { Aedes, type AedesOptions } from 'aedes';

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
    this.aedes = await Aedes.createBroker(hooks);
    const server = net.createServer(this.aedes.handle);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    if (this.opts.tls) {
      const secure = tls.createServer({ cert: this.opts.tls.cert, key: this.opts.tls.key, minVersion: 'TLSv1.2' }, this.aedes.handle);
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
