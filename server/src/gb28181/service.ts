import { deviceTopic } from '#devices';
import type { IngestPipeline } from '../ingest/pipeline.ts';
import type { Logger } from '../log.ts';
import type { DeviceRegistry, ProvisionInput } from '../registry/devices.ts';
import { cameraEventOf, type GbAlarm } from './alarms.ts';
import type { GbConfig, GbDeviceConfig } from './config.ts';
import { GbPlatform, type GbChannel, type GbDevice } from './platform.ts';
import type { GbRejectReason } from './rejects.ts';
import type { Peer } from './sip/endpoint.ts';
import type { Scheduler } from './sip/transaction.ts';
import { GbUpstream } from './upstream.ts';

export interface GbServiceOptions {
  config: GbConfig;
  pipeline: IngestPipeline;
  registry: DeviceRegistry;
  log: Logger;
  /** Counts refused input with the ingest rejects (RejectLog.record). */
  reject: (reason: GbRejectReason, source: string, message: string, payload: Uint8Array) => void;
  clock?: () => number;
  scheduler?: Scheduler;
}

/**
 * GB/T 28181 cameras and NVRs in the hub: the platform's registrations, keepalives and catalogs
 * become camera devices in the registry, and their status and alarms go through the ingest
 * pipeline like any device message (so the same offline rule, alert types and live view apply).
 * With `upstream:` set, the hub is also a lower platform of a higher one and forwards alarms.
 */
export class GbService {
  readonly platform: GbPlatform;
  readonly upstream: GbUpstream | undefined;
  private readonly clock: () => number;
  /** Counted per camera event type and for alarms with none. */
  readonly alarms = new Map<string, number>();
  /** When each device's catalog was last asked for. */
  private readonly catalogAskedAt = new Map<string, number>();

  constructor(private readonly o: GbServiceOptions) {
    this.clock = o.clock ?? Date.now;
    this.platform = new GbPlatform({
      config: o.config,
      log: o.log,
      ...(o.scheduler ? { scheduler: o.scheduler } : {}),
      events: {
        registered: (dev, refresh) => this.onRegistered(dev, refresh),
        online: (dev) => this.status(dev, true),
        offline: (dev) => this.status(dev, false),
        keepalive: (dev) => this.status(dev, true),
        catalog: (dev, channels) => this.onCatalog(dev, channels),
        alarm: (dev, alarm, body) => this.onAlarm(dev, alarm, body),
        reject: (reason, from, detail, bytes) => o.reject(reason, sourceOf(from), detail, bytes),
        request: (incoming) => this.upstream?.handle(incoming) ?? false,
      },
    });
    this.upstream = o.config.upstream
      ? new GbUpstream({ config: o.config.upstream, self: o.config, endpoint: this.platform.endpoint, log: o.log.child({ side: 'upstream' }), channels: () => this.allChannels() })
      : undefined;
  }

  get port(): number {
    return this.platform.port;
  }

  async start(): Promise<void> {
    await this.platform.start();
    this.upstream?.start();
  }

  async stop(): Promise<void> {
    await this.upstream?.stop();
    await this.platform.stop();
  }

  private deviceConfig(id: string): GbDeviceConfig | undefined {
    return this.o.config.devices.get(id);
  }

  private placeOf(deviceId: string): Omit<ProvisionInput, 'id' | 'kind' | 'name'> {
    const c = this.deviceConfig(deviceId);
    const cfg = this.o.config;
    const gridCellId = c?.gridCellId ?? cfg.gridCellId;
    const buildingId = c?.buildingId ?? cfg.buildingId;
    return { communityId: c?.communityId ?? cfg.communityId, ...(gridCellId ? { gridCellId } : {}), ...(buildingId ? { buildingId } : {}) };
  }

  private onRegistered(dev: GbDevice, refresh: boolean): void {
    if (!this.o.registry.get(dev.id)) {
      const name = this.deviceConfig(dev.id)?.name;
      this.o.registry.provision({ id: dev.id, kind: 'camera', ...this.placeOf(dev.id), ...(name ? { name } : {}) });
      this.o.registry.flush();
    }
    this.status(dev, true);
    const log = this.o.log.child({ device: dev.id });
    const now = this.clock();
    // Channels come and go on an NVR: a re-registration asks again once the catalog is old.
    const askedAt = this.catalogAskedAt.get(dev.id);
    if (!refresh || askedAt === undefined || now - askedAt >= this.o.config.catalogRefreshS * 1000) {
      this.catalogAskedAt.set(dev.id, now);
      void this.platform.queryCatalog(dev.id).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'GB/T 28181 catalog query failed'));
    }
    if (refresh) return;
    void this.platform.subscribeAlarms(dev.id).then(
      (status) => status !== 200 && log.info({ status }, 'GB/T 28181 alarm subscription refused; alarms still come as MESSAGE'),
      (err: unknown) => log.warn({ err: (err as Error).message }, 'GB/T 28181 alarm subscription failed'),
    );
    // A device without a configured name is shown by the name it gives itself, not its 20 digits.
    if (!this.deviceConfig(dev.id)?.name && !this.o.registry.get(dev.id)?.name) {
      void this.platform.queryDeviceInfo(dev.id).then(
        (info) => {
          if (!info?.name || this.o.registry.get(dev.id)?.name) return;
          this.o.registry.provision({ id: dev.id, kind: 'camera', ...this.placeOf(dev.id), name: info.name });
          this.o.registry.flush();
        },
        (err: unknown) => log.info({ err: (err as Error).message }, 'GB/T 28181 DeviceInfo query failed'),
      );
    }
    if (this.deviceConfig(dev.id)?.guard) {
      void this.platform.setGuard(dev.id, true).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'GB/T 28181 SetGuard failed'));
    }
  }

  private onCatalog(dev: GbDevice, channels: GbChannel[]): void {
    const place = this.placeOf(dev.id);
    for (const ch of channels) {
      if (ch.id === dev.id) continue;
      const known = this.o.registry.get(ch.id);
      // A camera placed by hand (config file, API) keeps its place; its name follows the catalog when it has none.
      if (known?.provisioned) continue;
      this.o.registry.provision({ id: ch.id, kind: 'camera', ...place, ...(ch.name ? { name: ch.name } : {}) });
    }
    this.o.registry.flush();
    this.o.log.info({ device: dev.id, channels: channels.length }, 'GB/T 28181 catalog');
    this.status(dev, dev.online);
  }

  /** The device and its channels (a channel the catalog says is OFF stays offline). */
  private status(dev: GbDevice, online: boolean): void {
    const now = this.clock();
    this.publish(dev.id, 'status', online ? 'online' : 'offline', now);
    for (const ch of dev.channels.values()) {
      if (ch.id === dev.id) continue;
      this.publish(ch.id, 'status', online && ch.status !== 'OFF' ? 'online' : 'offline', now);
    }
  }

  private onAlarm(dev: GbDevice, alarm: GbAlarm, body: Buffer): void {
    const type = cameraEventOf(alarm);
    this.alarms.set(type ?? 'unmapped', (this.alarms.get(type ?? 'unmapped') ?? 0) + 1);
    this.upstream?.forwardAlarm(body);
    if (!type) {
      this.o.log.info({ device: dev.id, source: alarm.sourceId, method: alarm.method, alarmType: alarm.type }, 'GB/T 28181 alarm with no camera event');
      return;
    }
    const source = dev.channels.has(alarm.sourceId) || this.o.registry.get(alarm.sourceId) ? alarm.sourceId : dev.id;
    const now = this.clock();
    const event: Record<string, unknown> = {
      type,
      // The alarm's own time is local and may drift; the pipeline refuses far-off times, so use the hub's.
      ts: now,
      gb_priority: alarm.priority,
      gb_method: alarm.method,
      ...(alarm.type !== undefined ? { gb_alarm_type: alarm.type } : {}),
      ...(alarm.time !== undefined ? { alarm_time: new Date(alarm.time).toISOString() } : {}),
      ...(alarm.description ? { description: alarm.description } : {}),
      ...(alarm.longitude !== undefined ? { longitude: alarm.longitude } : {}),
      ...(alarm.latitude !== undefined ? { latitude: alarm.latitude } : {}),
    };
    this.publish(source, 'event', event, now);
  }

  /** Status is the contract's bare "online" / "offline"; events are JSON. */
  private publish(deviceId: string, channel: 'status' | 'event', payload: string | Record<string, unknown>, now: number): void {
    const device = this.o.registry.get(deviceId);
    if (!device) return;
    this.o.pipeline.handle(deviceTopic({ communityId: device.communityId, kind: 'camera', deviceId, channel }), Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)), now);
  }

  private allChannels(): GbChannel[] {
    const out: GbChannel[] = [];
    for (const dev of this.platform.devices.values()) out.push(...dev.channels.values());
    return out;
  }
}

const sourceOf = (p: Peer) => `gb28181/${p.transport}/${p.host}:${p.port}`;
