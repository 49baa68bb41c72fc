import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import pino, { type Logger } from 'pino';
import { isValidId, kindSpecs } from '#devices';
import { CameraSession } from './camera-session.ts';
import { xaddrOf, type DiscoveryConfig } from './config.ts';
import { camerasCovering, type CoverageTarget } from './coverage.ts';
import { probeDirected, probeMulticast, type DiscoveredCamera } from './discovery.ts';
import { CameraError } from './errors.ts';
import { CameraPublisher } from './publisher.ts';
import type { CameraConfig, CameraDetails, CameraEventPayload, CameraState, CameraTelemetryPayload, CameraView } from './types.ts';

export interface OnvifBridgeOptions {
  communityId: string;
  /** The static camera list. */
  cameras?: CameraConfig[];
  /**
   * A broker URL (the bridge connects and owns the client), an mqtt.js client owned by the caller
   * (e.g. the hub's), or nothing: then listen to the bridge's own events instead.
   */
  mqtt?: string | MqttClient;
  mqttOptions?: IClientOptions;
  /** Health poll period per camera. Default: the camera kind's reporting period (60 s). */
  pollIntervalMs?: number;
  /** Per-request limit towards a camera. Default 5000. */
  timeoutMs?: number;
  /** Backoff after a camera rejects our credentials. Default 60 s doubling to 1 h. */
  authRetry?: { initialMs: number; maxMs: number };
  /** Backoff for re-creating a lost event subscription. Default 1 s doubling to 60 s. */
  eventRetry?: { initialMs: number; maxMs: number };
  /** Fetch a snapshot in every health poll (gives snapshot_ms and proves the credentials). Default true. */
  snapshotInHealth?: boolean;
  /** Spread the first polls of many cameras over up to 10 s instead of starting all at once. Default true. */
  staggerStart?: boolean;
  discovery?: DiscoveryConfig;
  /** Publish `offline` for every camera on stop(), as a last will would. Default true. */
  offlineOnStop?: boolean;
  logger?: Logger;
}

export interface OnvifBridgeEvents {
  telemetry: [cameraId: string, payload: CameraTelemetryPayload];
  event: [cameraId: string, payload: CameraEventPayload];
  status: [cameraId: string, state: CameraState, previous: CameraState, reason: string | undefined];
  camera: [cameraId: string, details: CameraDetails];
  discovered: [found: DiscoveredCamera[], adopted: string[]];
  warning: [error: Error];
}

/**
 * Watches ONVIF cameras and reports them as `camera` devices: health telemetry, status and events on the
 * contract MQTT topics (and as EventEmitter events), plus snapshots on demand.
 * The constructor only stores its options; start() and stop() own every socket and timer.
 */
export class OnvifBridge extends EventEmitter<OnvifBridgeEvents> {
  private readonly sessions = new Map<string, CameraSession>();
  private readonly log: Logger;
  private client: MqttClient | undefined;
  private ownsClient = false;
  private publisher: CameraPublisher | undefined;
  private discoveryTimer: NodeJS.Timeout | undefined;
  private discoveryRun: Promise<unknown> | undefined;
  private running = false;

  constructor(private readonly opts: OnvifBridgeOptions) {
    super();
    this.log = opts.logger ?? pino({ level: 'silent' });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (typeof this.opts.mqtt === 'string') {
      this.client = mqtt.connect(this.opts.mqtt, { reconnectPeriod: 2000, ...this.opts.mqttOptions });
      this.ownsClient = true;
      this.client.on('connect', () => this.log.info({ url: this.opts.mqtt }, 'MQTT connected'));
      this.client.on('error', (err) => this.log.warn({ err: err.message }, 'MQTT error'));
      this.client.on('offline', () => this.log.warn('MQTT offline; publishing resumes on reconnect'));
    } else {
      this.client = this.opts.mqtt;
    }
    this.publisher = new CameraPublisher(this.client, this.opts.communityId, (err) => this.warn(err));
    for (const c of this.opts.cameras ?? []) this.addCamera(c);
    this.log.info({ cameras: this.sessions.size, communityId: this.opts.communityId, pollIntervalMs: this.pollIntervalMs }, 'ONVIF bridge started');
    const d = this.opts.discovery;
    if (d?.enabled || d?.targets?.length) {
      const loop = () => {
        this.discoveryRun = this.discoverNow()
          .catch((err: Error) => this.warn(err))
          .finally(() => {
            if (this.running) this.discoveryTimer = setTimeout(loop, (d.intervalS ?? 300) * 1000);
          });
      };
      loop();
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.discoveryTimer);
    await this.discoveryRun;
    await Promise.all([...this.sessions.values()].map((s) => s.stop()));
    if (this.opts.offlineOnStop !== false) for (const id of this.sessions.keys()) this.publisher?.status(id, false);
    this.sessions.clear();
    if (this.client && this.ownsClient) await this.client.endAsync();
    this.client = undefined;
    this.log.info('ONVIF bridge stopped');
  }

  /** Starts watching one more camera (also used for cameras adopted from discovery). */
  addCamera(config: CameraConfig): void {
    if (!isValidId(config.id)) throw new Error(`camera id "${config.id}" does not match [A-Za-z0-9_-]{1,64}`);
    if (this.sessions.has(config.id)) throw new Error(`camera ${config.id} is already watched`);
    const interval = this.pollIntervalMs;
    const stagger = this.opts.staggerStart !== false ? Math.random() * Math.min(interval, 10_000) : 0;
    const session = new CameraSession({
      config,
      xaddr: xaddrOf(config),
      pollIntervalMs: interval,
      initialDelayMs: stagger,
      timeoutMs: this.opts.timeoutMs ?? 5000,
      authRetry: this.opts.authRetry ?? { initialMs: 60_000, maxMs: 3_600_000 },
      eventRetry: this.opts.eventRetry ?? { initialMs: 1000, maxMs: 60_000 },
      snapshotInHealth: this.opts.snapshotInHealth !== false,
      logger: this.log,
      hooks: {
        telemetry: (id, p) => {
          this.publisher?.telemetry(id, p);
          this.emit('telemetry', id, p);
        },
        event: (id, p) => {
          this.publisher?.event(id, p);
          this.emit('event', id, p);
        },
        state: (id, state, previous, reason) => {
          if (state !== 'unknown') this.publisher?.status(id, state === 'online');
          this.emit('status', id, state, previous, reason);
        },
        details: (id, d) => this.emit('camera', id, d),
      },
    });
    this.sessions.set(config.id, session);
    if (this.running) session.start();
  }

  async removeCamera(id: string): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    await s.stop();
  }

  listCameras(): CameraView[] {
    return [...this.sessions.values()].map((s) => s.view());
  }

  getCamera(id: string): CameraView | undefined {
    return this.sessions.get(id)?.view();
  }

  /** Polls one camera now, skipping the wrong-credentials backoff (e.g. after an operator fixed them). */
  async pollNow(id: string): Promise<void> {
    await this.session(id).pollNow(true);
  }

  /** One JPEG from the camera's snapshot URI; throws CameraError (unknown_camera, not_ready, unauthorized, unreachable). */
  async fetchSnapshot(cameraId: string): Promise<Buffer> {
    return this.session(cameraId).fetchSnapshot();
  }

  /** Cameras that cover a device (its own coverage entry, else its building, else its grid cell). */
  camerasCovering(target: CoverageTarget): string[] {
    const configs = [...this.sessions.values()].map((s) => s.view().config);
    return camerasCovering(configs, target).map((c) => c.id);
  }

  /** One discovery round (multicast and/or directed); adopts new cameras when configured to. */
  async discoverNow(): Promise<DiscoveredCamera[]> {
    const d = this.opts.discovery ?? {};
    const waitMs = d.waitMs ?? 3000;
    const [multi, directed] = await Promise.all([
      d.enabled ? probeMulticast(waitMs) : Promise.resolve([]),
      probeDirected(d.targets ?? [], waitMs),
    ]);
    const found = new Map<string, DiscoveredCamera>();
    for (const cam of [...multi, ...directed]) found.set(cam.urn, cam);
    const list = [...found.values()];
    const adopted: string[] = [];
    if (this.running && d.adopt !== false) {
      const known = this.listCameras();
      for (const cam of list) {
        const match = known.find((k) => (k.config.urn && k.config.urn === cam.urn) || cam.xaddrs.some((x) => sameEndpoint(x, k.xaddr)));
        if (match) continue;
        const id = idFromUrn(cam.urn);
        if (this.sessions.has(id)) continue;
        this.addCamera({ id, name: cam.name || undefined, xaddr: cam.xaddrs[0]!, urn: cam.urn, username: d.username, password: d.password });
        adopted.push(id);
      }
    }
    this.log.info({ found: list.length, adopted }, 'discovery round done');
    this.emit('discovered', list, adopted);
    return list;
  }

  private get pollIntervalMs(): number {
    return this.opts.pollIntervalMs ?? kindSpecs.camera.reportingPeriodS * 1000;
  }

  private session(id: string): CameraSession {
    const s = this.sessions.get(id);
    if (!s) throw new CameraError('unknown_camera', `no camera "${id}" in this bridge`);
    return s;
  }

  private warn(err: Error): void {
    this.log.warn({ err: err.message }, 'bridge warning');
    if (this.listenerCount('warning') > 0) this.emit('warning', err);
  }
}

/** A stable device id for a discovered camera: its WS-Discovery endpoint uuid. */
export function idFromUrn(urn: string): string {
  const tail = urn.replace(/^urn:uuid:/i, '').replace(/[^A-Za-z0-9_-]/g, '-');
  return `cam-${tail}`.slice(0, 64);
}

function sameEndpoint(a: string, b: string): boolean {
  try {
    const ua = new URL(a);
    const ub = new URL(b);
    return ua.hostname === ub.hostname && (ua.port || '80') === (ub.port || '80');
  } catch {
    return false;
  }
}
