import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { DEVICE_SUBSCRIPTIONS } from '#devices';
import type { Logger } from '../log.ts';
import type { HubMetrics } from '../metrics.ts';

export interface MqttAdapterOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** `$share/<group>/...` lets several hubs split one broker's load. */
  sharedGroup?: string;
  log: Logger;
  metrics: HubMetrics;
  /**
   * Handles one message. For QoS 1 the PUBACK goes out only when `ack` is called, so the
   * handler calls it once the message is durably spooled (or rejected). mqtt.js hands over
   * the next message only after that, so the handler must be quick (it appends to the spool
   * and returns; the store write happens later).
   */
  onMessage: (topic: string, payload: Buffer, ack: () => void) => void;
}

/**
 * The thin MQTT adapter: nothing else touches the client.
 * Persistent session (stable client id, clean=false) so messages published while the hub is
 * down arrive when it returns.
 */
export class MqttAdapter {
  private client: MqttClient | undefined;
  connected = false;

  constructor(private readonly o: MqttAdapterOptions) {}

  get subscriptions(): string[] {
    return DEVICE_SUBSCRIPTIONS.map((t) => (this.o.sharedGroup ? `$share/${this.o.sharedGroup}/${t}` : t));
  }

  /** Resolves on the first successful connection; keeps reconnecting after that on its own. */
  start(): Promise<void> {
    const { log, metrics, onMessage } = this.o;
    const options: IClientOptions = {
      clientId: this.o.clientId,
      clean: false,
      protocolVersion: 4,
      keepalive: 30,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      resubscribe: true,
      ...(this.o.username ? { username: this.o.username } : {}),
      ...(this.o.password ? { password: this.o.password } : {}),
    };
    const client = mqtt.connect(this.o.url, options);
    this.client = client;
    // handleMessage runs before mqtt.js sends the PUBACK, for every protocol version
    // (customHandleAcks only works with MQTT 5, which aedes does not speak).
    client.handleMessage = (packet, callback) => {
      onMessage(packet.topic, packet.payload as Buffer, () => callback());
    };
    client.on('close', () => {
      if (this.connected) log.warn({ url: this.o.url }, 'MQTT connection lost; reconnecting');
      this.connected = false;
      metrics.mqttConnected.set(0);
    });
    client.on('error', (err) => log.error({ err: err.message, url: this.o.url }, 'MQTT error'));
    return new Promise((resolve) => {
      client.on('connect', (connack) => {
        this.connected = true;
        metrics.mqttConnected.set(1);
        log.info({ url: this.o.url, sessionPresent: connack.sessionPresent }, 'connected to MQTT broker');
        client.subscribe(this.subscriptions, { qos: 1 }, (err) => {
          if (err) log.error({ err: err.message }, 'MQTT subscribe failed');
          resolve();
        });
      });
    });
  }

  publish(topic: string, payload: string, qos: 0 | 1 = 1): void {
    this.client?.publish(topic, payload, { qos, retain: false });
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
    this.connected = false;
  }
}
