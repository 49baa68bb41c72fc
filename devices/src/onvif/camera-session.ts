import type { Logger } from 'pino';
import { Backoff } from './backoff.ts';
import { DeviceClient } from './device-client.ts';
import { CameraError, classifyError } from './errors.ts';
import type { MappedEvent } from './event-map.ts';
import { PullPointSubscriber } from './event-subscriber.ts';
import { fetchJpeg } from './snapshot-http.ts';
import type {
  CameraConfig,
  CameraDetails,
  CameraEventPayload,
  CameraState,
  CameraTelemetryPayload,
  CameraView,
} from './types.ts';

export interface SessionHooks {
  telemetry(id: string, payload: CameraTelemetryPayload): void;
  event(id: string, payload: CameraEventPayload): void;
  state(id: string, state: CameraState, previous: CameraState, reason: string | undefined): void;
  details(id: string, details: CameraDetails): void;
}

export interface SessionOptions {
  config: CameraConfig;
  xaddr: string;
  pollIntervalMs: number;
  /** First poll after start; spreads hundreds of cameras over the interval. */
  initialDelayMs: number;
  timeoutMs: number;
  authRetry: { initialMs: number; maxMs: number };
  eventRetry: { initialMs: number; maxMs: number };
  snapshotInHealth: boolean;
  logger: Logger;
  hooks: SessionHooks;
}

/** One camera: connect, periodic health poll, state transitions, event subscription, snapshots. */
export class CameraSession {
  private state: CameraState = 'unknown';
  private details: CameraDetails | undefined;
  private lastError: string | undefined;
  private lastPollAt: number | undefined;
  private nextAttemptAt: number | undefined;
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private inFlight: Promise<void> | undefined;
  private readonly client: DeviceClient;
  private readonly authBackoff: Backoff;
  private subscriber: PullPointSubscriber | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: SessionOptions) {
    const c = opts.config;
    this.client = new DeviceClient({ xaddr: opts.xaddr, username: c.username, password: c.password, profile: c.profile, timeoutMs: opts.timeoutMs });
    this.authBackoff = new Backoff(opts.authRetry.initialMs, opts.authRetry.maxMs);
    this.log = opts.logger.child({ camera: c.id });
  }

  get id(): string {
    return this.opts.config.id;
  }

  view(): CameraView {
    return {
      id: this.id,
      config: { ...this.opts.config, password: this.opts.config.password === undefined ? undefined : '***' },
      xaddr: this.opts.xaddr,
      state: this.state,
      details: this.details,
      lastError: this.lastError,
      lastPollAt: this.lastPollAt,
      nextAttemptAt: this.nextAttemptAt,
      eventsActive: this.subscriber?.active ?? false,
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(this.opts.initialDelayMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.inFlight;
    await this.subscriber?.stop();
  }

  /**
   * Runs one health poll now (joins the one under way instead of overlapping it).
   * `force` skips the wrong-credentials backoff: an operator has just fixed them.
   */
  pollNow(force = false): Promise<void> {
    if (force) this.nextAttemptAt = undefined;
    if (!this.inFlight) {
      this.inFlight = this.poll().finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  async fetchSnapshot(): Promise<Buffer> {
    if (this.state === 'unauthorized') throw new CameraError('unauthorized', `camera ${this.id}: ${this.lastError ?? 'unauthorized'}`);
    const uri = this.details?.profile?.snapshotUri;
    if (!this.details) throw new CameraError('not_ready', `camera ${this.id} is not connected yet (state ${this.state})`);
    if (!uri) throw new CameraError('not_ready', `camera ${this.id} offers no snapshot URI`);
    return this.fetchSnapshotFromCamera();
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      void this.pollNow().finally(() => this.schedule(this.opts.pollIntervalMs));
    }, delayMs);
  }

  private async poll(): Promise<void> {
    // Wrong credentials: try again only when the backoff allows, however short the poll interval.
    if (this.state === 'unauthorized' && this.nextAttemptAt !== undefined && Date.now() < this.nextAttemptAt) return;
    this.lastPollAt = Date.now();
    try {
      if (!this.details) await this.connect();
      const { driftS, rttMs } = await this.client.clockDrift();
      const snapshotMs = await this.measureSnapshot();
      const p = this.details?.profile;
      this.succeed({
        reachable: true,
        clock_drift_s: driftS,
        ...(p?.fps !== undefined && { fps: p.fps }),
        ...(p?.bitrateKbps !== undefined && { bitrate_kbps: p.bitrateKbps }),
        ...(snapshotMs !== undefined && { snapshot_ms: snapshotMs }),
        rtt_ms: rttMs,
      });
    } catch (err) {
      this.fail(classifyError(err));
    }
  }

  private async connect(): Promise<void> {
    const details = await this.client.connect();
    this.details = details;
    this.log.info(
      { model: details.model, manufacturer: details.manufacturer, profiles: details.profiles.map((p) => p.token), profile: details.profile?.token, events: details.eventsSupported },
      'camera connected',
    );
    this.opts.hooks.details(this.id, details);
    if (details.eventsSupported && this.opts.config.events !== false) this.startEvents();
  }

  /** Snapshot fetch time; also proves the credentials, which GetSystemDateAndTime (pre-auth) does not. */
  private async measureSnapshot(): Promise<number | undefined> {
    if (!this.opts.snapshotInHealth || !this.details?.profile?.snapshotUri) {
      await this.client.checkAuth();
      return undefined;
    }
    const t0 = performance.now();
    try {
      await this.fetchSnapshotFromCamera();
    } catch (err) {
      const e = classifyError(err);
      if (e.kind !== 'protocol') throw e;
      // The camera answers but its snapshot is broken: still reachable, just no snapshot_ms.
      this.log.warn({ err: e.message }, 'snapshot failed');
      return undefined;
    }
    return Math.round((performance.now() - t0) * 10) / 10;
  }

  private fetchSnapshotFromCamera(): Promise<Buffer> {
    return fetchJpeg({
      url: this.details!.profile!.snapshotUri!,
      username: this.opts.config.username,
      password: this.opts.config.password,
      timeoutMs: this.opts.timeoutMs,
    });
  }

  private startEvents(): void {
    if (this.subscriber) return;
    const c = this.opts.config;
    this.subscriber = new PullPointSubscriber({
      xaddr: this.opts.xaddr,
      username: c.username,
      password: c.password,
      timeoutMs: this.opts.timeoutMs,
      retry: this.opts.eventRetry,
      onEvent: (e) => this.onCameraEvent(e),
      onState: (active, err) => {
        if (active) this.log.info('event subscription active (pull-point)');
        else if (err) this.log.warn({ err: err.message, kind: err.kind }, 'event subscription lost');
      },
    });
    this.subscriber.start();
  }

  private onCameraEvent(e: MappedEvent): void {
    const payload: CameraEventPayload = {
      type: e.type,
      ts: Date.now(),
      seq: this.seq++,
      onvif_topic: e.topic,
      ...(e.cameraTime && { camera_time: e.cameraTime }),
    };
    this.log.info({ type: e.type, topic: e.topic }, 'camera event');
    this.opts.hooks.event(this.id, payload);
  }

  private succeed(readings: Omit<CameraTelemetryPayload, 'ts' | 'seq'>): void {
    this.authBackoff.reset();
    this.nextAttemptAt = undefined;
    this.lastError = undefined;
    this.setState('online', undefined);
    this.emitTelemetry(readings);
  }

  private fail(err: CameraError): void {
    this.lastError = err.message;
    if (err.kind === 'unauthorized') {
      const delay = this.authBackoff.next();
      this.nextAttemptAt = Date.now() + delay;
      const msg = `camera ${this.id} rejected our credentials (user "${this.opts.config.username ?? ''}"): check username/password in the camera list; next attempt in ${Math.round(delay / 1000)} s`;
      if (this.state !== 'unauthorized') this.log.error({ err: err.message, retryInMs: delay }, msg);
      else this.log.warn({ retryInMs: delay }, msg);
      this.setState('unauthorized', err.message);
      this.emitTelemetry({ reachable: true, authorized: false });
      return;
    }
    if (this.state !== 'offline') this.log.warn({ err: err.message, kind: err.kind }, 'camera offline');
    this.setState('offline', err.message);
    this.emitTelemetry({ reachable: false });
  }

  private setState(next: CameraState, reason: string | undefined): void {
    const previous = this.state;
    if (previous === next) return;
    this.state = next;
    if (next === 'online') {
      if (previous !== 'unknown') this.log.info({ previous }, 'camera back online');
      // The event loop may be waiting out a backoff or parked on the old credentials.
      this.subscriber?.kick();
    }
    this.opts.hooks.state(this.id, next, previous, reason);
  }

  private emitTelemetry(readings: Omit<CameraTelemetryPayload, 'ts' | 'seq'>): void {
    this.opts.hooks.telemetry(this.id, { ts: Date.now(), seq: this.seq++, ...readings });
  }
}
