import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { Counter } from 'prom-client';
import { RateLimitedLog } from '../log.ts';
import { hubSubscriptions, type SubscriptionLane } from '#devices';
import type { Logger } from '../log.ts';
import type { HubMetrics } from '../metrics.ts';
import { BatchSubscriber, type InboundMessage } from './batch-subscriber.ts';

export interface MqttAdapterOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** Trusted CA certificates for an mqtts:// broker. */
  ca?: Buffer;
  /** `$share/<group>/...` lets several hubs split one broker's load. */
  sharedGroup?: string;
  /** Only these communities (scale-out partitions); all when unset. */
  communities?: readonly string[];
  log: Logger;
  metrics: HubMetrics;
  /**
   * Handles messages in arrival order. For QoS 1 the PUBACKs go out only when `ack` is called,
   * so the handler calls it once they are durably spooled (or rejected). On the telemetry lane
   * nothing more is read from that connection until then; the events lane keeps reading (up to
   * a bound) and its PUBACKs follow in arrival order. The handler must be quick (it appends to
   * the spool and returns; the store write happens later).
   */
  onBatch: (messages: InboundMessage[], ack: () => void, lane: SubscriptionLane) => void;
  /**
   * false: connect only to publish (alerts), subscribe to nothing. The embedded broker hands
   * device messages to the hub in process, before its PUBACK, so they must not come in here too.
   */
  subscribe?: boolean;
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
  private readonly batchLanes = new Map<SubscriptionLane, BatchSubscriber>();
  private readonly up = new Set<SubscriptionLane>();

  constructor(private readonly o: MqttAdapterOptions) {}

  private get lanes(): SubscriptionLane[] {
    return this.o.subscribe === false ? ['events'] : ['events', 'telemetry'];
  }

  get connected(): boolean {
    return this.up.size === this.lanes.length;
  }

  subscriptions(lane: SubscriptionLane): string[] {
    return hubSubscriptions(lane, this.o.communities).map((t) => (this.o.sharedGroup ? `$share/${this.o.sharedGroup}/${t}` : t));
  }

  /** Resolves on the first successful connection of both lanes; they keep reconnecting on their own. */
  async start(): Promise<void> {
    await Promise.all(this.lanes.map((lane) => this.connectLane(lane)));
  }

  private connectLane(lane: SubscriptionLane): Promise<void> {
    const { log, metrics, onBatch } = this.o;
    const clientId = lane === 'events' ? `${this.o.clientId}-events` : this.o.clientId;
    // WebSocket URLs (rare for a hub) stay on mqtt.js.
    // Publish-only (embedded broker) stays on mqtt.js too.
    if (BatchSubscriber.supports(this.o.url) && this.o.subscribe !== false) return this.connectBatchLane(lane, clientId);
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
      ...(this.o.ca ? { ca: this.o.ca } : {}),
      ...this.o.extraOptions,
    };
    const client = mqtt.connect(this.o.url, options);
    this.clients.set(lane, client);
    // handleMessage runs before mqtt.js sends the PUBACK, for every protocol version
    // (customHandleAcks only works with MQTT 5, which aedes does not speak).
    const replays = retainedReplays(metrics);
    const replayLog = new RateLimitedLog(log);
    client.handleMessage = (packet, callback) => {
      // A retained event is a replay of an old one (sent again at each new subscription): an
      // alarm raised anew at every fresh session. Only a status is state. Mosquitto's acl_file
      // cannot refuse the retain flag, so the hub drops the replay (the embedded broker refuses it).
      if (packet.retain && !packet.topic.endsWith('/status')) {
        replays.inc();
        replayLog.warn('retained_replay', { topic: packet.topic.slice(0, 200), lane }, 'ignored a retained event replayed by the broker');
        return callback();
      }
      onBatch([{ topic: packet.topic, payload: packet.payload as Buffer }], () => callback(), lane);
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
        if (this.o.subscribe === false) return resolve();
        client.subscribe(this.subscriptions(lane), { qos: 1 }, (err) => {
          if (err) log.error({ err: err.message, lane }, 'MQTT subscribe failed');
          resolve();
        });
      });
    });
  }

  private connectBatchLane(lane: SubscriptionLane, clientId: string): Promise<void> {
    const { log, metrics } = this.o;
    const replays = retainedReplays(metrics);
    const replayLog = new RateLimitedLog(log);
    const sub = new BatchSubscriber({
      url: this.o.url,
      clientId,
      ...(this.o.username ? { username: this.o.username } : {}),
      ...(this.o.password ? { password: this.o.password } : {}),
      ...(this.o.ca ? { ca: this.o.ca } : {}),
      topics: this.subscriptions(lane),
      log,
      lane,
      // Events held for spool space (a long store outage exhausts any reserve) must not stop the
      // next alarm from being read and evaluated: only their PUBACKs wait. Telemetry keeps the
      // plain backpressure.
      ...(lane === 'events' ? { maxHeldMessages: EVENTS_MAX_HELD, coalesceMs: 0 } : {}),
      onBatch: (messages, ack) => {
        if (lane === 'events') messages = dropRetainedReplays(messages, replays, replayLog);
        if (messages.length === 0) return ack();
        this.o.onBatch(messages, ack, lane);
      },
      onConnectionChange: (up) => {
        if (up) this.up.add(lane);
        else this.up.delete(lane);
        metrics.mqttConnected.set(this.connected ? 1 : 0);
      },
    });
    this.batchLanes.set(lane, sub);
    return sub.start();
  }

  /** Alert changes go out on the events lane, ahead of any telemetry. */
  publish(topic: string, payload: string, qos: 0 | 1 = 1): void {
    const batch = this.batchLanes.get('events');
    if (batch) batch.publish(topic, payload, qos);
    else this.clients.get('events')?.publish(topic, payload, { qos, retain: false });
  }

  async stop(): Promise<void> {
    await Promise.all([
      ...[...this.clients.values()].map((c) => new Promise<void>((resolve) => c.end(false, {}, () => resolve()))),
      ...[...this.batchLanes.values()].map((s) => s.stop()),
    ]);
    this.up.clear();
  }
}

/**
 * Above the broker's own in-flight window (max_inflight_messages 1000 in config/mosquitto/hub.conf),
 * so that window is what normally bounds it; this only bounds memory against a broker without one.
 */
const EVENTS_MAX_HELD = 2000;

/**
 * A retained event is a replay of an old one (sent again at each new subscription): an alarm
 * raised anew at every fresh session. Only a status is state. Mosquitto's acl_file cannot refuse
 * the retain flag, so the hub drops the replay (the embedded broker refuses it).
 */
function dropRetainedReplays(messages: InboundMessage[], replays: Counter, replayLog: RateLimitedLog): InboundMessage[] {
  if (!messages.some((m) => m.retain && !m.topic.endsWith('/status'))) return messages;
  return messages.filter((m) => {
    if (!m.retain || m.topic.endsWith('/status')) return true;
    replays.inc();
    replayLog.warn('retained_replay', { topic: m.topic.slice(0, 200), lane: 'events' }, 'ignored a retained event replayed by the broker');
    return false;
  });
}

function retainedReplays(metrics: HubMetrics): Counter {
  const existing = metrics.registry.getSingleMetric('hub_mqtt_retained_ignored_total');
  if (existing) return existing as Counter;
  return new Counter({
    name: 'hub_mqtt_retained_ignored_total',
    help: 'Retained events the broker replayed to the hub at a new subscription, ignored (only a status is retained state)',
    registers: [metrics.registry],
  });
}
