import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type Database from 'better-sqlite3';
import type { HubConfig } from './config.ts';
import { openStateDb } from './db.ts';
import { EventBus } from './events.ts';
import { buildApp } from './http/app.ts';
import type { HealthReport, HubContext } from './http/context.ts';
import { EmbeddedBroker } from './ingest/broker.ts';
import { MqttAdapter } from './ingest/mqtt.ts';
import type { InboundMessage } from './ingest/batch-subscriber.ts';
import { isAlertTopic, parseDeviceTopic, type SubscriptionLane } from '#devices';
import { IngestPipeline } from './ingest/pipeline.ts';
import { RejectLog } from './ingest/rejects.ts';
import type { Logger } from './log.ts';
import { HubMetrics } from './metrics.ts';
import { DeviceRegistry } from './registry/devices.ts';
import { loadHubConfigFile, type HubConfigFile } from './grid/config-file.ts';
import { Journal } from './spool/journal.ts';
import { InfluxTelemetryStore } from './store/influx.ts';
import { SqliteTelemetryStore } from './store/sqlite.ts';
import type { TelemetryStore } from './store/types.ts';
import { StoreWriterHost } from './store/writer-host.ts';
import { ingestWindow } from './store/acceptance.ts';
import { SharedJournalState } from './spool/shared-state.ts';
import { AlertRepository } from './alerts/repository.ts';
import { AlertService } from './alerts/service.ts';
import { DEFAULT_INCIDENT_RULES, escalationPolicy } from './alerts/policy.ts';
import { GridModel } from './grid/model.ts';
import { RuleEngine } from './rules/engine.ts';
import { LiveHub } from './notify/live.ts';
import { WebhookOutbox } from './notify/outbox.ts';
import { AlertDispatcher } from './notify/dispatcher.ts';
import { notificationChannels } from './notify/channels.ts';
import { HubSecurity } from './auth/hub-security.ts';
import { hubClientIds } from './auth/broker-auth.ts';
import { AuthErrors } from './auth/errors.ts';
import { CameraService } from './cameras/camera-service.ts';
import { SnapshotStore } from './cameras/snapshot-store.ts';
import { requestAuthorization } from './http/authorization.ts';

export interface HubDeps {
  /** The hub's clock (tests inject one to drive escalation without sleeping). */
  clock?: () => number;
}

/**
 * The one place that wires the hub together: it builds every part from the config,
 * starts them in dependency order and stops them in reverse.
 */
/** Messages handled before the event loop gets a turn: about a millisecond of work. */
const BATCH_SLICE = 64;

export class Hub {
  readonly metrics: HubMetrics;
  readonly bus: EventBus;
  readonly db: Database.Database;
  readonly registry: DeviceRegistry;
  readonly journal: Journal;
  readonly store: TelemetryStore;
  readonly writer: StoreWriterHost;
  private readonly sharedJournal = new SharedJournalState();
  readonly rejects: RejectLog;
  readonly pipeline: IngestPipeline;
  readonly broker: EmbeddedBroker | undefined;
  readonly configFile: HubConfigFile;
  readonly grid: GridModel;
  readonly alerts: AlertService;
  readonly rules: RuleEngine;
  readonly live = new LiveHub();
  readonly outbox: WebhookOutbox;
  readonly dispatcher: AlertDispatcher;
  readonly security: HubSecurity;
  readonly snapshots: SnapshotStore;
  cameras: CameraService | undefined;
  readonly clock: () => number;
  mqtt!: MqttAdapter;
  app!: FastifyInstance;
  private tickTimer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();
  /** Batches waiting for spool space, events' ahead of telemetry's. */
  private readonly spoolWaiters: Record<SubscriptionLane, (() => void)[]> = { events: [], telemetry: [] };
  /** Telemetry published to the embedded broker, gathered for one append and one release of PUBACKs. */
  private embeddedBatch: { messages: InboundMessage[]; dones: (() => void)[] } | undefined;
  private mqttCaPem: Buffer | undefined;
  private started = false;

  constructor(
    readonly config: HubConfig,
    readonly log: Logger,
    deps: HubDeps = {},
  ) {
    this.clock = deps.clock ?? Date.now;
    this.configFile = config.configFile ? loadHubConfigFile(config.configFile) : {};
    this.grid = new GridModel(this.configFile);
    this.metrics = new HubMetrics();
    this.bus = new EventBus(log);
    this.db = openStateDb(config.dataDir);
    this.registry = new DeviceRegistry(this.db, undefined, { perCommunity: config.maxUnprovisionedPerCommunity, total: config.maxUnprovisionedDevices });
    this.journal = new Journal({ dir: path.join(config.dataDir, 'spool'), maxBytes: config.spoolMaxBytes, shared: this.sharedJournal });
    this.store = config.influxUrl
      ? new InfluxTelemetryStore(config.influxUrl)
      : new SqliteTelemetryStore(path.join(config.dataDir, 'telemetry.db'));
    this.writer = new StoreWriterHost({
      dir: path.join(config.dataDir, 'spool'),
      shared: this.sharedJournal,
      store: config.influxUrl ? { kind: 'influx', url: config.influxUrl } : { kind: 'sqlite', file: path.join(config.dataDir, 'telemetry.db') },
      batchSize: config.storeBatchSize,
      flushMs: config.storeFlushMs,
      metrics: this.metrics,
      log: log.child({ component: 'store-writer' }),
      logLevel: config.logLevel,
      retention: { rawDays: config.retentionRawDays, rollup1mDays: config.retention1mDays, rollup1hDays: config.retention1hDays },
    });
    this.writer.onCommit = () => this.releaseSpoolWaiters();
    this.journal.onWritable = () => this.releaseSpoolWaiters();
    this.rejects = new RejectLog(this.metrics, log.child({ component: 'ingest' }), config.rejectedKept);
    this.writer.onRefused = (refused) => this.rejects.recordStoreRefusals(refused);
    this.pipeline = new IngestPipeline({
      registry: this.registry,
      journal: this.journal,
      bus: this.bus,
      rejects: this.rejects,
      metrics: this.metrics,
      onAppended: () => this.writer.notify(),
      rateLimit: { perSecond: config.deviceRateLimit, burst: config.deviceRateBurst },
      timeWindow: ingestWindow(config.retentionRawDays),
    });
    this.snapshots = new SnapshotStore(path.join(config.dataDir, 'snapshots'));
    this.security = new HubSecurity({ config, db: this.db, grid: this.grid, registry: this.registry, metrics: this.metrics, log, clock: this.clock });
    this.broker = config.mqttUrl
      ? undefined
      : new EmbeddedBroker({ host: config.host, port: config.mqttPort, ...this.security.brokerOptions(), onPublish: (packet, done) => this.onEmbeddedPublish(packet, done) });
    this.alerts = new AlertService({
      repo: new AlertRepository(this.db),
      grid: this.grid,
      registry: this.registry,
      clock: this.clock,
      log: log.child({ component: 'alerts' }),
      escalation: escalationPolicy(this.configFile.escalation),
      incidentRules: this.configFile.incidents ?? DEFAULT_INCIDENT_RULES,
    });
    const coverage = new Map<string, string[]>();
    for (const d of this.configFile.devices ?? []) if (d.covers) coverage.set(d.id, d.covers);
    this.rules = new RuleEngine({
      bus: this.bus,
      registry: this.registry,
      grid: this.grid,
      alerts: this.alerts,
      clock: this.clock,
      log: log.child({ component: 'rules' }),
      cameraCoverage: coverage,
    });
    this.outbox = new WebhookOutbox(this.db, log.child({ component: 'webhooks' }), this.clock);
    this.dispatcher = new AlertDispatcher({
      alerts: this.alerts,
      log: log.child({ component: 'notify' }),
      channels: notificationChannels({ alerts: this.alerts, grid: this.grid, live: this.live, outbox: this.outbox, publish: (topic, payload, qos) => this.mqtt?.publish(topic, payload, qos) }),
    });
    this.bus.on('deviceState', ({ deviceId }) => {
      const device = this.registry.get(deviceId);
      if (device) this.live.broadcast({ type: 'device', device });
    });
  }

  /** The HTTP server's address once listening. */
  get httpUrl(): string {
    const addr = this.app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : this.config.port;
    const host = this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
    return `${this.security.tls ? 'https' : 'http'}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  }

  /** Read at start, so a missing file fails the start with its path rather than the first TLS handshake. */
  private get mqttCa(): Buffer | undefined {
    if (!this.config.mqttCaFile) return undefined;
    this.mqttCaPem ??= fs.readFileSync(this.config.mqttCaFile);
    return this.mqttCaPem;
  }

  get mqttUrl(): string {
    return this.config.mqttUrl ?? this.broker!.url;
  }

  async start(): Promise<void> {
    this.registry.start();
    if (this.config.configFile) this.provisionFromFile(this.configFile);
    this.alerts.start();
    this.dispatcher.start();
    this.rules.start();
    this.outbox.start();
    this.tickTimer = setInterval(() => this.alerts.tick(), 1000);
    this.tickTimer.unref();
    this.journal.open();
    await this.store.start();
    await this.writer.start();
    if (this.broker) await this.broker.start();
    await this.security.start();
    this.app = await buildApp({ ctx: this.context(), log: this.log, dashboardDir: this.config.dashboardDir, security: this.security.http, tls: this.security.tls, snapshots: this.snapshots });
    await this.app.listen({ port: this.config.port, host: this.config.host });
    this.mqtt = new MqttAdapter({
      url: this.mqttUrl,
      clientId: this.config.mqttClientId,
      ...this.security.hubMqttLogin(),
      ...(this.mqttCa ? { ca: this.mqttCa } : {}),
      ...(this.config.mqttSharedGroup ? { sharedGroup: this.config.mqttSharedGroup } : {}),
      ...(this.config.communities ? { communities: this.config.communities } : {}),
      log: this.log.child({ component: 'mqtt' }),
      metrics: this.metrics,
      onBatch: (messages, ack, lane) => this.onBatch(messages, ack, lane),
      // The embedded broker hands device messages over in process, before its PUBACK (onEmbeddedPublish):
      // the hub's own connection only publishes alerts, or it would ingest everything twice.
      subscribe: !this.broker,
    });
    await this.mqtt.start();
    const onvif = (this.configFile as { onvif?: unknown }).onvif;
    if (onvif !== undefined) {
      // The built-in ONVIF bridge reports cameras over MQTT like any device, with the hub's own login.
      this.cameras = new CameraService({
        lists: Array.isArray(onvif) ? onvif : [onvif],
        mqttUrl: this.mqttUrl,
        ...Object.fromEntries(Object.entries(this.security.hubMqttLogin()).map(([k, v]) => [k === 'username' ? 'mqttUsername' : 'mqttPassword', v])),
        ...(this.mqttCa ? { mqttCa: this.mqttCa } : {}),
        clientIdPrefix: this.config.mqttClientId,
        alerts: this.alerts,
        registry: this.registry,
        snapshots: this.snapshots,
        log: this.log.child({ component: 'onvif' }),
      });
      await this.cameras.start();
    }
    this.started = true;
    this.log.info(
      {
        dashboard: `${this.httpUrl}/`,
        broker: this.broker ? `embedded aedes at ${this.broker.url}` : `external ${this.config.mqttUrl}`,
        store: `${this.store.name} at ${this.store.location}`,
        dataDir: this.config.dataDir,
        devices: this.registry.size,
        spoolPendingBytes: this.journal.pendingBytes(),
      },
      `hub ready: dashboard ${this.httpUrl}/ | MQTT ${this.mqttUrl}${this.broker ? ' (embedded)' : ''} | store ${this.store.name} ${this.store.location}`,
    );
  }

  /** Stops taking messages, drains the spool into the store (within a deadline), then closes everything. */
  async stop(): Promise<void> {
    this.started = false;
    clearInterval(this.tickTimer);
    this.rules.stop();
    this.outbox.stop();
    this.live.closeAll();
    await this.cameras?.stop();
    await this.mqtt?.stop();
    await this.writer.stop();
    this.registry.stop();
    this.security.stop();
    await this.app?.close();
    await this.broker?.stop();
    await this.store.stop();
    this.journal.close();
    this.db.close();
  }

  /**
   * Spools what the budget allows, then holds the rest (and so the broker's delivery: the ack
   * comes only once every message is spooled) until the writer frees space or the disk takes
   * writes again. Backpressure, not loss. Telemetry stops short of the events' reserve; events
   * and status may use it, and events that find even the reserve used up are still evaluated
   * at once (rules, alerts, live views) and only their spooling and their acks wait; on an
   * external broker the events lane keeps reading meanwhile (BatchSubscriber maxHeldMessages).
   */
  private onBatch(messages: InboundMessage[], ack: () => void, lane: SubscriptionLane): void {
    const journal = this.journal;
    const blocked = lane === 'events' ? () => journal.full : () => journal.telemetryFull;
    let next = 0;
    let held: string[] = [];
    const spoolSome = () => {
      const receivedAt = Date.now();
      const sliceEnd = Math.min(messages.length, next + BATCH_SLICE);
      journal.batch(() => {
        if (held.length > 0 && !blocked()) {
          let i = 0;
          while (i < held.length && !blocked()) journal.append(held[i++]!);
          held = i === held.length ? [] : held.slice(i);
        }
        while (next < sliceEnd && held.length === 0 && !blocked()) {
          const m = messages[next++]!;
          this.pipeline.handle(m.topic, m.payload, receivedAt);
        }
        // Every held event is evaluated now, not one per freed slot: an alarm behind routine
        // events must not wait for the store either.
        if (lane === 'events' && next < messages.length && (held.length > 0 || blocked())) {
          while (next < messages.length) {
            const m = messages[next++]!;
            this.pipeline.handle(m.topic, m.payload, receivedAt, (line) => held.push(line));
          }
        }
      });
      if (next >= messages.length && held.length === 0 && !journal.holding) ack();
      else if (blocked()) this.spoolWaiters[lane].push(spoolSome);
      // A long batch yields between slices, so an alarm on the events lane never waits behind it.
      else setImmediate(spoolSome);
    };
    spoolSome();
  }

  private releaseSpoolWaiters(): void {
    const { events, telemetry } = this.spoolWaiters;
    while (events.length > 0 && !this.journal.full) events.shift()!();
    while (telemetry.length > 0 && !this.journal.telemetryFull) telemetry.shift()!();
  }

  /**
   * The embedded broker's publish path: aedes writes a QoS 1 PUBACK once this calls `done`, so it
   * is called only after the journal append (or the rejection). Events and status go through on
   * their own at once; telemetry that arrives in the same turn of the event loop (a socket read,
   * several clients) is spooled with one write and released together. A full spool holds `done`,
   * and aedes reads nothing more from that client meanwhile: backpressure.
   */
  private onEmbeddedPublish(packet: { topic: string; payload: Buffer | string }, done: () => void): void {
    const message = { topic: packet.topic, payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload };
    if (isAlertTopic(message.topic)) return done();
    const parsed = parseDeviceTopic(message.topic);
    if (typeof parsed !== 'string' && parsed.channel !== 'telemetry') return this.onBatch([message], done, 'events');
    if (!this.embeddedBatch) {
      const batch = (this.embeddedBatch = { messages: [] as InboundMessage[], dones: [] as (() => void)[] });
      setImmediate(() => {
        this.embeddedBatch = undefined;
        this.onBatch(batch.messages, () => {
          for (const d of batch.dones) d();
        }, 'telemetry');
      });
    }
    this.embeddedBatch.messages.push(message);
    this.embeddedBatch.dones.push(done);
  }

  private provisionFromFile(file: HubConfigFile): void {
    for (const device of file.devices ?? []) this.registry.provision(device);
    this.registry.flush();
    this.log.info(
      { file: this.config.configFile, communities: file.communities?.length ?? 0, workers: file.workers?.length ?? 0, devices: file.devices?.length ?? 0 },
      'loaded the config file',
    );
  }

  private context(): HubContext {
    return {
      registry: this.registry,
      store: this.store,
      rejects: this.rejects,
      metrics: this.metrics,
      alerts: this.alerts,
      grid: this.grid,
      live: this.live,
      health: () => this.health(),
      ...requestAuthorization(this.alerts, this.security.auth),
      auth: this.security.auth,
      credentials: this.security.credentials,
      provisionDevice: (input) => {
        // Its login would be bound to that client id: the hub's own session.
        if (hubClientIds(this.config.mqttClientId)(input.id)) throw new AuthErrors.ReservedId(input.id);
        const device = this.registry.provision(input);
        this.registry.flush();
        return device;
      },
      mosquittoFiles: () => this.security.mosquittoFiles(),
    };
  }

  private spoolHold(): Pick<HealthReport['spool'], 'reason' | 'lastError'> {
    const reason = this.journal.holdReason();
    const lastError = this.journal.lastWriteError;
    return { ...(reason ? { reason } : {}), ...(lastError ? { lastError } : {}) };
  }

  async health(): Promise<HealthReport> {
    const storeUp = this.writer.storeUp && (await this.store.ping());
    const mqttUp = this.mqtt?.connected ?? false;
    const pendingBytes = this.journal.pendingBytes();
    this.metrics.spoolBytes.set(pendingBytes);
    const diskRefuses = this.journal.holding;
    return {
      status: !this.started ? 'starting' : mqttUp && storeUp && !diskRefuses ? 'ok' : 'degraded',
      mqtt: { connected: mqttUp, url: this.mqttUrl, embedded: Boolean(this.broker) },
      store: {
        name: this.store.name,
        up: storeUp,
        location: this.store.location,
        ...(this.writer.lastError ? { lastError: this.writer.lastError } : {}),
      },
      spool: { pendingBytes, full: this.journal.telemetryFull, eventsFull: this.journal.full, ...this.spoolHold() },
      devices: this.registry.size,
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
    };
  }
}
