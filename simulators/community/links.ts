import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export interface PublishOptions {
  qos: 0 | 1;
  retain?: boolean;
}

/** One MQTT connection as the runtime sees it; tests substitute a recorder. */
export interface Link {
  publish(topic: string, payload: string, opts: PublishOptions): void;
  /** QoS 1 publishes not yet acknowledged, for pacing. */
  inflight(): number;
  /** Clean close: DISCONNECT first, so the broker does not fire a last will. */
  close(): Promise<void>;
  /** Drop the socket without DISCONNECT, so the broker publishes the last will. */
  sever(): void;
}

export interface LinkWill {
  topic: string;
  payload: string;
}

export interface LinkStats {
  sent: number;
  acked: number;
  errors: number;
}

/** Connects one link for a community's devices; `will` only for a device on its own connection. */
export type LinkFactory = (clientId: string, will: LinkWill | undefined, stats: LinkStats, communityId: string) => Promise<Link>;

export interface MqttLogin {
  username: string;
  password: string;
}

/**
 * MQTT logins by community id, `*` for any: a gateway credential may publish for every device of
 * its communities, as an IoT platform bridge or a building controller does.
 */
export type Logins = Record<string, MqttLogin>;

export function mqttLinkFactory(url: string, logins: Logins = {}): LinkFactory {
  return async (clientId, will, stats, communityId) => {
    const auth = logins[communityId] ?? logins['*'];
    const options: IClientOptions = {
      clientId,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 15_000,
      keepalive: 30,
      ...(auth ? { username: auth.username, password: auth.password } : {}),
      ...(will ? { will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: true } } : {}),
    };
    const client = await new Promise<MqttClient>((resolve, reject) => {
      const c = mqtt.connect(url, options);
      const onError = (err: Error) => {
        c.end(true);
        reject(new Error(`MQTT ${url}: ${err.message}`));
      };
      c.once('error', onError);
      c.once('connect', () => {
        c.off('error', onError);
        // mqtt.js reconnects by itself and resends unacknowledged QoS 1 messages.
        c.on('error', () => {});
        resolve(c);
      });
    });
    let inflight = 0;
    return {
      publish(topic, payload, opts) {
        stats.sent++;
        if (opts.qos === 0) {
          client.publish(topic, payload, { qos: 0, retain: opts.retain ?? false });
          stats.acked++;
          return;
        }
        inflight++;
        client.publish(topic, payload, { qos: 1, retain: opts.retain ?? false }, (err) => {
          inflight--;
          if (err) stats.errors++;
          else stats.acked++;
        });
      },
      inflight: () => inflight,
      close: () => new Promise<void>((resolve) => client.end(false, {}, () => resolve())),
      sever() {
        // end(true) destroys the stream without sending DISCONNECT and stops reconnecting.
        client.end(true);
      },
    };
  };
}
