import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type Database from 'better-sqlite3';
import type { Alert } from '#devices';
import type { HubConfig } from './config.ts';
import { openStateDb } from './db.ts';
import { EventBus } from './events.ts';
import { buildApp } from './http/app.ts';
import type { HealthReport, HubContext } from './http/context.ts';
import { EmbeddedBroker } from './ingest/broker.ts';
import { MqttAdapter } from './ingest/mqtt.ts';
import { SpoolFlow } from './ingest/spool-flow.ts';
import { Health } from './health.ts';
import { IngestPipeline } from './ingest/pipeline.ts';
import { RejectLog } from './ingest/rejects.ts';
import type { Logger } from './log.ts';
import { HubMetrics } from './metrics.ts';
import { DeviceRegistry } from './registry/devices.ts';
import type { HubConfigFile } from './grid/config-file.ts';
import { Journal } from './spool/journal.ts';
import { createStore, storeSpec } from './store/factory.ts';
import type { TelemetryStore } from './store/types.ts';
import { StoreWriterHost } from './store/writer-host.ts';
import { ingestWindow } from './store/acceptance.ts';
import { SharedJournalState } from './spool/shared-state.ts';
import { AlertRepository } from './alerts/repository.ts';
import { AlertService } from './alerts/service.ts';
import { AlertSearch } from './alerts/search.ts';
import { DEFAULT_INCIDENT_RULES, escalationPolicy } from './alerts/policy.ts';
import { GridModel } from './grid/model.ts';
import { RuleEngine } from './rules/engine.ts';
import { LiveHub } from './notify/live.ts';
import { WebhookOutbox } from './notify/outbox.ts';
import { webhookMessages } from './notify/webhook-channel.ts';
import { AlertDispatcher } from './notify/dispatcher.ts';
import { notificationChannels } from './notify/channels.ts';
import { HubSecurity } from './auth/hub-security.ts';
import { hubClientIds } from './auth/broker-auth.ts';
import { AuthErrors } from './auth/errors.ts';
import { CameraService } from './cameras/camera-service.ts';
import { SnapshotStore } from './cameras/snapshot-store.ts';
import { requestAuthorization } from './http/authorization.ts';
import { pushAdapters, type PushAdapters } from './ingest/adapters/index.ts';
import { PeopleDelivery } from './notify/people/delivery.ts';
import { wecomCallbackOf } from './notify/people/provider-transports.ts';
import { CaseRepository } from './cases/repository.ts';
import { CaseService } from './cases/service.ts';
import { CaseDeadlines } from './cases/deadlines.ts';
import { CaseLiveChannel } from './cases/live-channel.ts';
import { CaseFromAlertChannel, DEFAULT_AUTO_CASE_ALERTS } from './cases/alert-channel.ts';
import { ResidentReportGuard } from './cases/resident-guard.ts';
import { GbService } from './gb28181/service.ts';
import { CasePhotoRetention } from './cases/photo-retention.ts';
import { CaseDeadlineMonitor } from './cases/monitor.ts';
import { AccessControllers } from './ingest/adapters/isapi.ts';
import { CasePeopleChannel } from './cases/people-channel.ts';
import { CaseWebhookChannel } from './cases/webhook-channel.ts';
import { IdempotencyStore } from './cases/idempotency.ts';
import { openPg, type PgSql } from './state/pg/connect.ts';
import { pgAuthStores } from './state/pg/auth-stores.ts';
import { PgAlertFeed } from './state/pg/alert-feed.ts';
import { PgAlertReads } from './state/pg/alert-reads.ts';
import { PgAlertSearch } from './state/pg/alert-search.ts';
import { ClusterAlertStore } from './cluster/alert-store.ts';
import { ClusterNode } from './cluster/node.ts';
import { NotificationClaims } from './cluster/notifications.ts';
import { AlertCommands, type AlertCommand } from './cluster/commands.ts';
import { DevicePresence } from './cluster/presence.ts';
import { PersonClaims } from './cluster/person-claims.ts';
import { StartupError } from './startup-error.ts';

export interface HubDeps {
  /** The hub's clock (tests inject one to drive escalation without sleeping). */
  clock?: () => number;
  /** Tests: delivery timings, and an agent that trusts a local push service. */
  delivery?: Pick<import('./notify/people/delivery.ts').PeopleDeliveryDeps, 'outbox' | 'pushAgent'>;
}

/** Every part of a running hub; built by start(), so constructing a Hub touches nothing. */
interface HubParts {
  metrics: HubMetrics;
  bus: EventBus;
  db: Database.Database;
  registry: DeviceRegistry;
  journal: Journal;
  store: TelemetryStore;
  writer: StoreWriterHost;
  rejects: RejectLog;
  pipeline: IngestPipeline;
  spoolFlow: SpoolFlow;
  broker: EmbeddedBroker | undefined;
  grid: GridModel;
  alerts: AlertService;
  rules: RuleEngine;
  live: LiveHub;
  outbox: WebhookOutbox;
  dispatcher: AlertDispatcher;
  security: HubSecurity;
  snapshots: SnapshotStore;
  health: Health;
  pushAdapters: PushAdapters;
  people: PeopleDelivery;
  cases: CaseService;
  caseLive: CaseLiveChannel;
  residentGuard: ResidentReportGuard;
  caseMonitor: CaseDeadlineMonitor;
  casePhotos: CasePhotoRetention | undefined;
  caseWebhooks: CaseWebhookChannel;
  casePeople: CasePeopleChannel;
  /** Cluster mode (STATE_URL): the alerts on PostgreSQL. */
  clusterStore: ClusterAlertStore | undefined;
}

/**
 * The one place that wires the hub together. The constructor only stores the config, the
 * logger and the deps; start() builds every part and starts them in dependency order, stop()
 * stops them, and a start that fails stops whatever it had started before rethrowing.
 */
export class Hub {
  readonly clock: () => number;
  cameras: CameraService | undefined;
  /** GB/T 28181 cameras and NVRs, when the config file has a `gb28181:` section. */
  gb28181: GbService | undefined;
  /** Set by start(), like every part. */
  mqtt!: MqttAdapter;
  app!: FastifyInstance;
  private parts: HubParts | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private mqttCaPem: Buffer | undefined;
  private started = false;
  /** The shared state (STATE_URL), opened once by start(). */
  pg: PgSql | undefined;
  /** Other hubs' alert changes for this hub's dashboards (STATE_URL). */
  private alertFeed: PgAlertFeed | undefined;
  /** Cluster mode: the lease holder (set by start()). */
  cluster: ClusterNode | undefined;
  /** Cluster mode: alert commands forwarded to, or from, the community's holder. */
  alertCommands: AlertCommands | undefined;
  /** Cluster mode: devices' online state, from their community's holder to every hub. */
  presence: DevicePresence | undefined;

  constructor(
    readonly config: HubConfig,
    readonly log: Logger,
    deps: HubDeps = {},
  ) {
    this.clock = deps.clock ?? Date.now;
    this.deliveryOverrides = deps.delivery ?? {};
  }

  private readonly deliveryOverrides: NonNullable<HubDeps['delivery']>;

  private get p(): HubParts {
    if (!this.parts) throw new Error('the hub has no parts before start()');
    return this.parts;
  }
  get metrics(): HubMetrics { return this.p.metrics; }
  get bus(): EventBus { return this.p.bus; }
  get db(): Database.Database { return this.p.db; }
  get registry(): DeviceRegistry { return this.p.registry; }
  get journal(): Journal { return this.p.journal; }
  get store(): TelemetryStore { return this.p.store; }
  get writer(): StoreWriterHost { return this.p.writer; }
  get rejects(): RejectLog { return this.p.rejects; }
  get pipeline(): IngestPipeline { return this.p.pipeline; }
  get spoolFlow(): SpoolFlow { return this.p.spoolFlow; }
  get broker(): EmbeddedBroker | undefined { return this.p.broker; }
  get grid(): GridModel { return this.p.grid; }
  get alerts(): AlertService { return this.p.alerts; }
  get rules(): RuleEngine { return this.p.rules; }
  get live(): LiveHub { return this.p.live; }
  get outbox(): WebhookOutbox { return this.p.outbox; }
  get dispatcher(): AlertDispatcher { return this.p.dispatcher; }
  get security(): HubSecurity { return this.p.security; }
  get snapshots(): SnapshotStore { return this.p.snapshots; }
  get pushAdapters(): PushAdapters { return this.p.pushAdapters; }
  get people(): PeopleDelivery { return this.p.people; }
  get cases(): CaseService { return this.p.cases; }
  get caseMonitor(): CaseDeadlineMonitor { return this.p.caseMonitor; }
  get casePhotos(): CasePhotoRetention | undefined { return this.p.casePhotos; }
  /** Hikvision / Dahua access controllers (platforms.hikvision, platforms.dahua), when configured. */
  get accessControllers(): AccessControllers | undefined { return this.p.pushAdapters.controllers; }

  /** The config file, checked when the config was loaded. */
  get configFile(): HubConfig['file'] {
    return this.config.file;
  }

  /** The HTTP server's address once listening. */
  get httpUrl(): string {
    const addr = this.app?.server.address();
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

  /** Builds and starts every part; on failure, stops what had started (ports, DB, worker, timers) and rethrows. */
  async start(): Promise<void> {
    if (this.parts) throw new Error('the hub is already started');
    try {
      if (this.config.stateUrl) this.pg = await openPg(this.config.stateUrl, this.log.child({ component: 'state' }), { hubId: this.config.hubId });
      this.parts = this.build();
      await this.startParts();
    } catch (err) {
      await this.stop().catch((stopErr: unknown) => this.log.error({ err: stopErr }, 'cleaning up after a failed start'));
      throw err;
    }
  }

  /** Every part, wired; the state DB is opened (and migrated) here, the rest waits for its own start(). */
  private build(): HubParts {
    const db = openStateDb(this.config.dataDir);
    try {
      return this.buildOn(db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private buildOn(db: Database.Database): HubParts {
    const { config, log } = this;
    const clock = this.clock;
    const file = this.configFile;
    const grid = new GridModel(file);
    const metrics = new HubMetrics();
    const bus = new EventBus(log);
    const registry = new DeviceRegistry(db, undefined, { perCommunity: config.maxUnprovisionedPerCommunity, total: config.maxUnprovisionedDevices });
    const sharedJournal = new SharedJournalState();
    const journal = new Journal({ dir: path.join(config.dataDir, 'spool'), maxBytes: config.spoolMaxBytes, shared: sharedJournal });
    const spec = storeSpec(config);
    const store = createStore(spec);
    const writer = new StoreWriterHost({
      dir: path.join(config.dataDir, 'spool'),
      shared: sharedJournal,
      store: spec,
      batchSize: config.storeBatchSize,
      flushMs: config.storeFlushMs,
      metrics,
      log: log.child({ component: 'store-writer' }),
      logLevel: config.logLevel,
      retention: { rawDays: config.retentionRawDays, rollup1mDays: config.retention1mDays, rollup1hDays: config.retention1hDays },
    });
    const rejects = new RejectLog(metrics, log.child({ component: 'ingest' }), config.rejectedKept);
    writer.onRefused = (refused) => rejects.recordStoreRefusals(refused);
    const pipeline = new IngestPipeline({
      registry,
      journal,
      bus,
      rejects,
      metrics,
      onAppended: () => writer.notify(),
      rateLimit: { perSecond: config.deviceRateLimit, burst: config.deviceRateBurst },
      timeWindow: ingestWindow(config.retentionRawDays),
    });
    const spoolFlow = new SpoolFlow(journal, pipeline);
    const adapters = pushAdapters(file.platformProducts, { pipeline, journal, registry, rejects, timeWindow: ingestWindow(config.retentionRawDays), db });
    writer.onCommit = () => spoolFlow.release();
    journal.onWritable = () => spoolFlow.release();
    const snapshots = new SnapshotStore(path.join(config.dataDir, 'snapshots'));
    const authStores = this.pg ? pgAuthStores(this.pg, config.sessionTtlS * 1000, log.child({ component: 'auth' }), clock) : undefined;
    const security = new HubSecurity({ config, db, grid, registry, metrics, log, clock, ...(authStores ? { authStores } : {}) });
    const broker = config.mqttUrl
      ? undefined
      : new EmbeddedBroker({ host: config.host, port: config.mqttPort, ...security.brokerOptions(), onPublish: (packet, done) => spoolFlow.onEmbeddedPublish(packet, done) });
    const clusterStore = config.stateUrl
      ? new ClusterAlertStore({
          hubId: config.hubId,
          log: log.child({ component: 'cluster' }),
          messages: (change) => webhookMessages(grid, change),
          queue: (messages) => {
            for (const m of messages) outbox.enqueue(m.alertId, m.url, m.format, m.body, m.severity);
          },
          people: { messages: (change) => people.channel.messages(change), queue: (m) => people.channel.queue(m) },
        })
      : undefined;
    const alerts = new AlertService({
      repo: clusterStore ?? new AlertRepository(db),
      ...(clusterStore ? { owns: (community: string) => this.cluster?.owns(community) ?? false } : {}),
      grid,
      registry,
      clock,
      log: log.child({ component: 'alerts' }),
      escalation: escalationPolicy(file.escalation),
      incidentRules: file.incidents ?? DEFAULT_INCIDENT_RULES,
    });
    const coverage = new Map<string, string[]>();
    for (const d of file.devices ?? []) if (d.covers) coverage.set(d.id, d.covers);
    const rules = new RuleEngine({
      bus, registry, grid, alerts, clock, log: log.child({ component: 'rules' }), cameraCoverage: coverage,
      ...(clusterStore ? { onMemory: (device, state) => clusterStore.writer(device.communityId)?.saveRules(device.id, state) } : {}),
      ...(clusterStore ? { owns: (community: string) => this.actingEpoch(community) !== undefined } : {}),
    });
    const live = new LiveHub();
    if (this.pg) this.alertFeed = new PgAlertFeed({ sql: this.pg, hubId: config.hubId, onAlert: (alert) => {
          live.broadcast({ type: 'alert', alert });
          clusterStore?.heard(alert);
        }, log: log.child({ component: 'alert-feed' }) });
    if (clusterStore) {
      this.alertCommands = new AlertCommands({
        sql: this.pg!,
        hubId: config.hubId,
        alerts,
        epochOf: (c) => this.actingEpoch(c),
        held: () => [...(this.cluster?.leases.holdings().keys() ?? [])].filter((c) => this.actingEpoch(c) !== undefined),
        committed: (c) => clusterStore.writer(c)?.committed() ?? Promise.reject(new Error(`community ${c} is not held`)),
        log: log.child({ component: 'alert-commands' }),
      });
      this.presence = new DevicePresence({ sql: this.pg!, hubId: config.hubId, bus, registry, epochOf: (c) => this.actingEpoch(c), log: log.child({ component: 'presence' }) });
    }
    const outbox = new WebhookOutbox(db, log.child({ component: 'webhooks' }), clock);
    const people: PeopleDelivery = new PeopleDelivery({
      db,
      dataDir: config.dataDir,
      file,
      grid,
      registry,
      users: security.auth.userList,
      audit: security.auth.audit,
      alerts,
      metrics,
      log: log.child({ component: 'delivery' }),
      clock,
      hubUrl: () => this.httpUrl,
      durable: clusterStore !== undefined,
      ...(this.alertCommands ? { act: (alert: Alert, actor: string, cmd: AlertCommand) => this.alertCommands!.run(alert, actor, cmd) } : {}),
      ...this.deliveryOverrides,
    });
    const cases = new CaseService({ repo: new CaseRepository(db), deadlines: new CaseDeadlines(file.cases), grid, clock, log: log.child({ component: 'cases' }), idempotency: new IdempotencyStore(db, clock), ...(file.cases ? { config: file.cases } : {}) });
    const caseLive = new CaseLiveChannel(cases, live);
    const casePhotos = file.cases?.photoRetentionDays ? new CasePhotoRetention(cases, file.cases.photoRetentionDays, clock, log.child({ component: 'case-photos' })) : undefined;
    const caseMonitor = new CaseDeadlineMonitor({ cases, grid, clock, ...(file.cases?.remindAtFraction ? { remindAtFraction: file.cases.remindAtFraction } : {}) });
    const caseWebhooks = new CaseWebhookChannel(cases, grid, outbox, file.cases?.utcOffsetMin ?? 480);
    const casePeople = new CasePeopleChannel({ cases, grid, outbox: people.outbox, ladder: people.ladder, publicUrl: () => people.publicUrl(), utcOffsetMin: file.cases?.utcOffsetMin ?? 480, log: log.child({ component: 'cases' }) });
    const residentGuard = new ResidentReportGuard({ perCommunityPerHour: file.cases?.residentReportsPerHour ?? 60, clock, log: log.child({ component: 'cases' }) });
    const dispatcher = new AlertDispatcher({
      alerts,
      log: log.child({ component: 'notify' }),
      channels: [
        ...notificationChannels({ alerts, grid, live, outbox, publish: (topic, payload, qos) => this.mqtt?.publish(topic, payload, qos), people: people.channel, durableWebhooks: clusterStore !== undefined }),
        new CaseFromAlertChannel(cases, file.cases?.autoFromAlerts ?? DEFAULT_AUTO_CASE_ALERTS, log.child({ component: 'cases' })),
      ],
    });
    const health = new Health({
      store,
      writer,
      journal,
      registry,
      metrics,
      embeddedBroker: Boolean(broker),
      mqttUrl: () => this.mqttUrl,
      mqtt: () => this.mqtt,
      started: () => this.started,
      delivery: () => people.health(),
    });
    const controllers = file.platformProducts?.hikvision ?? [];
    if (controllers.length > 0) {
      adapters.controllers = new AccessControllers(controllers, { ingest: adapters.ingest, registry, alerts, snapshots, log: log.child({ component: 'isapi' }), clock });
    }
    bus.on('deviceState', ({ deviceId }) => {
      const device = registry.get(deviceId);
      if (device) live.broadcast({ type: 'device', device });
    });
    return { metrics, bus, db, registry, journal, store, writer, rejects, pipeline, spoolFlow, broker, grid, alerts, rules, live, outbox, dispatcher, security, snapshots, health, pushAdapters: adapters, people, cases, caseLive, residentGuard, caseMonitor, caseWebhooks, casePeople, casePhotos, clusterStore };
  }

  private async startParts(): Promise<void> {
    const { registry, alerts, dispatcher, rules, journal, store, writer, broker, security } = this.p;
    registry.start();
    if (this.config.configFile) this.provisionFromFile(this.configFile);
    if (this.p.clusterStore) await this.p.clusterStore.start(this.pg!);
    alerts.start();
    await this.p.people.start();
    this.p.caseLive.start();
    this.p.caseMonitor.start();
    this.p.caseWebhooks.start();
    this.p.casePeople.start();
    dispatcher.start();
    rules.start();
    this.tickTimer = setInterval(() => {
      alerts.tick();
      try {
        this.p.caseMonitor.tick();
      } catch (err) {
        this.log.error({ err }, 'case deadline monitor failed');
      }
      try {
        this.p.casePhotos?.tick();
      } catch (err) {
        this.log.error({ err }, 'case photo retention sweep failed');
      }
    }, 1000);
    this.tickTimer.unref();
    journal.open();
    await store.start();
    await writer.start();
    if (broker) await broker.start();
    this.pushAdapters.ingest.start();
    await security.start();
    await this.alertFeed?.start();
    this.app = await buildApp({ ctx: this.context(), log: this.log, dashboardDir: this.config.dashboardDir, security: security.http, tls: security.tls, snapshots: this.snapshots, pushAdapters: this.pushAdapters, delivery: this.p.people, cases: { service: this.cases, guard: this.p.residentGuard, utcOffsetMin: this.configFile.cases?.utcOffsetMin ?? 480 }, wecomCallback: wecomCallbackOf(this.p.people.outbox.transport('wecom')), alertSearch: { search: this.pg ? new PgAlertSearch(this.pg) : new AlertSearch(this.p.db), utcOffsetMin: this.configFile.cases?.utcOffsetMin ?? 480 }, cameras: () => this.cameras });
    await this.app.listen({ port: this.config.port, host: this.config.host });
    this.mqtt = new MqttAdapter({
      url: this.mqttUrl,
      clientId: this.config.mqttClientId,
      ...security.hubMqttLogin(),
      ...(this.mqttCa ? { ca: this.mqttCa } : {}),
      ...(this.config.mqttSharedGroup ? { sharedGroup: this.config.mqttSharedGroup } : {}),
      ...(this.config.communities ? { communities: this.config.communities } : {}),
      log: this.log.child({ component: 'mqtt' }),
      metrics: this.metrics,
      onBatch: (messages, ack, lane) => this.spoolFlow.onBatch(messages, ack, lane),
      // The embedded broker hands device messages over in process, before its PUBACK (onEmbeddedPublish):
      // the hub's own connection only publishes alerts, or it would ingest everything twice.
      // In cluster mode each community held has its own session (ClusterNode).
      subscribe: !broker && !this.p.clusterStore,
    });
    await this.mqtt.start();
    if (this.p.clusterStore) await this.startCluster(this.p.clusterStore);
    if (this.configFile.onvif !== undefined) {
      // The built-in ONVIF bridge reports cameras over MQTT like any device, with the hub's own login.
      this.cameras = new CameraService({
        lists: this.configFile.cameraLists,
        mqttUrl: this.mqttUrl,
        ...Object.fromEntries(Object.entries(security.hubMqttLogin()).map(([k, v]) => [k === 'username' ? 'mqttUsername' : 'mqttPassword', v])),
        ...(this.mqttCa ? { mqttCa: this.mqttCa } : {}),
        clientIdPrefix: this.config.mqttClientId,
        alerts,
        registry,
        snapshots: this.snapshots,
        log: this.log.child({ component: 'onvif' }),
      });
      await this.cameras.start();
    }
    if (this.configFile.gb) {
      this.gb28181 = new GbService({
        config: { ...this.configFile.gb, host: this.configFile.gb.host ?? this.config.host },
        pipeline: this.pipeline,
        registry: this.registry,
        log: this.log.child({ component: 'gb28181' }),
        reject: (reason, source, message, payload) => this.rejects.record(reason, source, message, payload),
        clock: this.clock,
      });
      await this.gb28181.start();
    }
    this.accessControllers?.start();
    this.started = true;
    this.log.info(
      {
        dashboard: `${this.httpUrl}/`,
        broker: broker ? `embedded aedes at ${broker.url}` : `external ${this.config.mqttUrl}`,
        store: `${store.name} at ${store.location}`,
        dataDir: this.config.dataDir,
        devices: registry.size,
        spoolPendingBytes: journal.pendingBytes(),
      },
      `hub ready: dashboard ${this.httpUrl}/ | MQTT ${this.mqttUrl}${broker ? ' (embedded)' : ''} | store ${store.name} ${store.location}`,
    );
  }

  private async startCluster(store: ClusterAlertStore): Promise<void> {
    const communities = (this.configFile.communities ?? []).map((c) => c.id);
    if (communities.length === 0) throw new StartupError(this.config.configFile ?? 'HUB_CONFIG', 'cluster mode (STATE_URL) shares out the config file\'s communities, and it lists none');
    const login = this.security.hubMqttLogin();
    this.cluster = new ClusterNode({
      sql: this.pg!,
      hubId: this.config.hubId,
      ttlMs: this.config.hubLeaseTtlMs,
      communities,
      store,
      alerts: this.alerts,
      rules: this.rules,
      log: this.log.child({ component: 'cluster', hub: this.config.hubId }),
      mqtt: { url: this.mqttUrl, ...login, ...(this.mqttCa ? { ca: this.mqttCa } : {}), metrics: this.metrics },
      onBatch: (messages, ack, lane) => this.spoolFlow.onBatch(messages, ack, lane),
    });
    const cluster = this.cluster;
    this.outbox.claims = new NotificationClaims({
      sql: this.pg!,
      hubId: this.config.hubId,
      epochOf: (community) => (cluster.owns(community) ? cluster.leases.epoch(community) : undefined),
      liveMs: this.config.hubLeaseTtlMs,
      log: this.log.child({ component: 'cluster' }),
    });
    this.people.outbox.claims = new PersonClaims({ sql: this.pg!, hubId: this.config.hubId, epochOf: (c) => this.actingEpoch(c), alertOf: (id) => this.alerts.get(id), liveMs: this.config.hubLeaseTtlMs, log: this.log.child({ component: 'cluster' }) });
    await this.alertCommands?.start();
    await this.presence?.start();
    await this.cluster.start();
  }

  /** Cluster mode: the epoch this hub acts for the community under (held and resumed), if any. */
  private actingEpoch(community: string): number | undefined {
    return this.cluster?.owns(community) ? this.cluster.leases.epoch(community) : undefined;
  }

  /**
   * Stops taking messages, drains the spool into the store (within a deadline), then closes
   * everything. Safe on a hub whose start() failed part-way: every step stops only what exists.
   */
  async stop(): Promise<void> {
    this.started = false;
    clearInterval(this.tickTimer);
    const parts = this.parts;
    await this.alertFeed?.stop();
    await this.alertCommands?.stop();
    await this.presence?.stop();
    if (!parts) return this.closePg();
    parts.rules.stop();
    // The webhook channel stops the outbox.
    parts.dispatcher.stop();
    await parts.people.stop();
    parts.caseLive.stop();
    parts.caseMonitor.stop();
    parts.caseWebhooks.stop();
    parts.casePeople.stop();
    parts.live.closeAll();
    await this.cameras?.stop();
    await this.gb28181?.stop();
    await this.accessControllers?.stop();
    await this.cluster?.stop();
    await this.mqtt?.stop();
    await parts.writer.stop();
    parts.registry.stop();
    parts.pushAdapters.ingest.stop();
    await parts.security.stop();
    await this.app?.close();
    await parts.broker?.stop();
    await parts.store.stop();
    parts.journal.close();
    parts.db.close();
    await parts.clusterStore?.stop();
    await this.closePg();
  }

  private async closePg(): Promise<void> {
    await this.pg?.end({ timeout: 5 });
    this.pg = undefined;
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
    const alertReads = this.pg ? new PgAlertReads(this.pg) : undefined;
    return {
      registry: this.registry,
      store: this.store,
      rejects: this.rejects,
      metrics: this.metrics,
      alerts: this.alerts,
      grid: this.grid,
      live: this.live,
      health: () => this.health(),
      clock: this.clock,
      ...requestAuthorization(alertReads ?? this.alerts, this.security.auth),
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
      ...(alertReads ? { alertReads } : {}),
      ...(this.alertCommands ? { alertCommands: this.alertCommands } : {}),
    };
  }

  health(): Promise<HealthReport> {
    return this.p.health.report();
  }
}
