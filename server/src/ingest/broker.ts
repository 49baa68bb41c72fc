import net from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  /** Policy hooks (authenticate, authorizePublish, authorizeSubscribe) are injected, not hard-wired. */
  hooks?: Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'>;
}

/** The zero-setup broker: aedes on a TCP port, used when MQTT_URL is not set. */
export class EmbeddedBroker {
  private aedes: Aedes | undefined;
  private server: net.Server | undefined;
  port = 0;

  constructor(private readonly opts: EmbeddedBrokerOptions) {}

  async start(): Promise<void> {
    this.aedes = await Aedes.createBroker({ ...(this.opts.hooks ?? {}) });
    const server = net.createServer(this.aedes.handle);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
  }

  get url(): string {
    return `mqtt://${this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host}:${this.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    const aedes = this.aedes;
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
