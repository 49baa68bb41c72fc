import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { hubSubscriptions, type SubscriptionLane } from '#devices';
import type { Logger } from '../log.ts';
import type { HubMetrics } from '../metrics.ts';

export interface MqttAdapterOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** `$share/<group>/...` lets several hubs split one broker's load. */
  sharedGroup?: string;
  /** Only these communities (scale-out partitions); all when unset. */
  communities?: readonly string[];
  log: Logger;
  metrics: HubMetrics;
  /**
   * Handles one message. For QoS 1 the PUBACK goes out only when `ack` is called, so the
   * handler calls it once the message is durably spooled (or rejected). mqtt.js hands over
   * the next message only after that, so the handler must be quick (it appends to the spool
   * and returns; the store write happens later).
   */
  onMessage: (topic: string, payload: Buffer, ack: () => void) => void;
  extraOptions?: IClientOptions;
}

/**
 * The thin MQTT adapter: nothing else touches the clients.
 *
 * Two connections, two lanes: events and status (what alerts are made of) arrive on their own
 * connection, so an alarm never queues behind thousands of telemetry messages in one TCP stream
 * or one broker queue. Each has a persistent session (stable client id, clean=false), so
 * messages published while the hub is down arrive when it returns.
 */
export class MqttAdapter {
  private readonly clients = new Map<SubscriptionLane, MqttClient>();
  private readonly up = new Set<SubscriptionLane>();

  constructor(private readonly o: MqttAdapterOptions) {}

  get connected(): boolean {
    return this.up.size === 2;
  }

  subscriptions(lane: SubscriptionLane): string[] {
    return hubSubscriptions(lane, this.o.communities).map((t) => (this.o.sharedGroup ? `$share/${this.o.sharedGroup}/${t}` : t));
  }

  /** Resolves on the first successful connection of both lanes; they keep reconnecting on their own. */
  async start(): Promise<void> {
    await Promise.all((['events', 'telemetry'] as const).map((lane) => this.connectLane(lane)));
  }

  private connectLane(lane: SubscriptionLane): Promise<void> {
    const { log, metrics, onMessage } = this.o;
    const clientId = lane === 'events' ? `${this.o.clientId}-events` : this.o.clientId;
    const options: IClientOptions = {
      clientId,
      clean: false,
      protocolVersion: 4,
      keepalive: 30,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      resubscribe: true,
      ...(this.o.username ? { username: this.o.username } : {}),
      ...(this.o.password ? { password: this.o.password } : {}),
      ...this.o.extraOptions,
    };
    const client = mqtt.connect(this.o.url, options);
    this.clients.set(lane, client);
    // handleMessage runs before mqtt.js sends the PUBACK, for every protocol version
    // (customHandleAcks only works with MQTT 5, which aedes does not speak).
    client.handleMessage = (packet, callback) => {
      onMessage(packet.topic, packet.payload as Buffer, () => callback());
    };
    client.on('close', () => {
      if (this.up.delete(lane)) log.warn({ url: this.o.url, lane }, 'MQTT connection lost; reconnecting');
      metrics.mqttConnected.set(this.connected ? 1 : 0);
    });
    client.on('error', (err) => log.error({ err: err.message, url: this.o.url, lane }, 'MQTT error'));
    return new Promise((resolve) => {
      client.on('connect', (connack) => {
        this.up.add(lane);
        metrics.mqttConnected.set(this.connected ? 1 : 0);
        log.info({ url: this.o.url, lane, clientId, sessionPresent: connack.sessionPresent }, 'connected to MQTT broker');
        client.subscribe(this.subscriptions(lane), { qos: 1 }, (err) => {
          if (err) log.error({ err: err.message, lane }, 'MQTT subscribe failed');
          resolve();
        });
      });
    });
  }

  /** Alert changes go out on the events lane, ahead of any telemetry. */
  publish(topic: string, payload: string, qos: 0 | 1 = 1): void {
    this.clients.get('events')?.publish(topic, payload, { qos, retain: false });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => new Promise<void>((resolve) => c.end(false, {}, () => resolve()))));
    this.up.clear();
  }
}
