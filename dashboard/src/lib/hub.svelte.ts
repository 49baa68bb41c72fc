// The dashboard's state: session, alerts (kept live over /ws), devices, grid, figures, connection.
// One instance per page; components read its fields and call its methods.
import { SvelteMap } from 'svelte/reactivity';
import { Api, ApiError } from './api.ts';
import { LiveConnection, wsUrl, type LiveStatus } from './live.ts';
import { annotated, isActive, isNewer, startOfToday } from './alerts.ts';
import type { Alert, AlertHistoryEntry, Device, Grid, LiveMessage, Stats, User } from './types.ts';
import { structuralChange } from './devices.ts';

export type AuthState = 'checking' | 'needed' | 'ok' | 'none' | 'unreachable';
export type Load = 'idle' | 'loading' | 'ready' | 'missing' | 'error';

export interface HubOptions {
  /** The worker view on a phone does not load the whole device registry. */
  loadDevices?: boolean;
  api?: Api;
}

type NewAlertListener = (a: Alert) => void;

export class Hub {
  readonly api: Api;
  private readonly loadDevices: boolean;

  auth = $state<AuthState>('checking');
  user = $state.raw<User | null>(null);

  readonly alerts = new SvelteMap<string, Alert>();
  alertsLoad = $state<Load>('idle');

  devices = $state.raw<Device[]>([]);
  /**
   * Bumped when devices change only in status (online, lastSeenAt, readings): those are patched in
   * place, so layouts derived from `devices` (plan geometry, cells) are not recomputed for them.
   * Anything showing status reads this too.
   */
  deviceTick = $state(0);
  devicesLoad = $state<Load>('idle');
  private deviceIndex = new Map<string, number>();

  grid = $state.raw<Grid | null>(null);
  gridLoad = $state<Load>('idle');
  stats = $state.raw<Stats | null>(null);

  conn = $state<LiveStatus>('connecting');
  retryAt = $state<number | null>(null);
  /** Set when a resync after a reconnect finished; the banner shows it briefly. */
  resyncedAt = $state<number | null>(null);
  lastError = $state<string | null>(null);

  now = $state(Date.now());
  /** Hub clock minus ours, from the hub's `hello`; ages are computed on the hub's clock. */
  private skewMs = 0;

  private live: LiveConnection | null = null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private listeners = new Set<NewAlertListener>();
  private pushedAt = new Map<string, number>();
  private pendingDevices = new Map<string, Device>();
  private deviceFlush: ReturnType<typeof setTimeout> | null = null;
  private statsTimer: ReturnType<typeof setTimeout> | null = null;
  private started = false;
  private readonly onlineHandler = () => this.live?.retryNow();

  constructor(opts: HubOptions = {}) {
    this.loadDevices = opts.loadDevices ?? true;
    this.api = opts.api ?? new Api();
    this.api.onUnauthorized = () => this.sessionLost();
  }

  // ---------------------------------------------------------------- session
  async init(): Promise<void> {
    this.auth = 'checking';
    // Fetch state while the session is being checked: first render does not wait for two round trips.
    if (!this.loadsStarted) this.startLoads();
    try {
      this.user = await this.api.me();
      this.auth = 'ok';
    } catch (err) {
      if (err instanceof ApiError && err.unauthorized) {
        this.loadsStarted = false;
        this.auth = 'needed';
        return;
      }
      if (err instanceof ApiError && err.missing) {
        // The hub has no accounts yet: everything is open.
        this.user = null;
        this.auth = 'none';
      } else {
        this.auth = 'unreachable';
        this.loadsStarted = false;
        this.lastError = err instanceof Error ? err.message : String(err);
        setTimeout(() => {
          if (this.auth === 'unreachable') void this.init();
        }, 3000);
        return;
      }
    }
    this.start();
  }

  async login(username: string, password: string): Promise<void> {
    this.user = (await this.api.login(username, password)).user;
    this.auth = 'ok';
    this.start();
  }

  async logout(): Promise<void> {
    try {
      await this.api.logout();
    } catch {
      /* the session is dropped locally either way */
    }
    this.stop();
    this.user = null;
    this.alerts.clear();
    this.devices = [];
    this.loadsStarted = false;
    this.auth = 'needed';
  }

  private sessionLost(): void {
    if (this.auth === 'none') return;
    this.stop();
    this.loadsStarted = false;
    this.auth = 'needed';
  }

  private loadsStarted = false;
  private startLoads(): void {
    this.loadsStarted = true;
    // The alert queue first: the registry (up to 50,000 devices) would otherwise delay it.
    void this.loadAlerts(false).finally(() => {
      if (this.loadDevices) void this.loadDeviceList();
      void this.loadGrid();
      void this.loadStats();
    });
  }

  /** Once a minute: forget alerts resolved before today; while /ws is down, poll so the queue stays close to true. */
  private housekeeping(): void {
    const today = startOfToday(this.now);
    for (const a of this.alerts.values()) {
      if (a.state === 'resolved' && (a.resolvedAt ?? 0) < today) this.alerts.delete(a.id);
    }
  }

  // ---------------------------------------------------------------- lifecycle
  start(): void {
    if (this.started) return;
    this.started = true;
    let ticks = 0;
    this.ticker = setInterval(() => {
      this.now = Date.now() + this.skewMs;
      ticks++;
      if (ticks % 60 === 0) {
        this.housekeeping();
        void this.loadStats();
      }
      if (ticks % 10 === 0 && this.conn === 'down') void this.loadAlerts(true);
    }, 1000);
    if (typeof window !== 'undefined') window.addEventListener('online', this.onlineHandler);
    if (!this.loadsStarted) this.startLoads();
    const loc = typeof location !== 'undefined' ? location : { protocol: 'http:', host: '127.0.0.1' };
    this.live = new LiveConnection({
      url: wsUrl(loc),
      onMessage: (m) => this.onMessage(m),
      onOpen: (first) => {
        if (!first) void this.resync();
      },
      onStatus: (s, retryAt) => {
        this.conn = s;
        this.retryAt = retryAt;
      },
      staleMs: 0,
    });
    this.live.start();
  }

  stop(): void {
    this.started = false;
    this.live?.stop();
    this.live = null;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    if (this.statsTimer) clearTimeout(this.statsTimer);
    this.statsTimer = null;
    if (typeof window !== 'undefined') window.removeEventListener('online', this.onlineHandler);
  }

  retryNow(): void {
    this.live?.retryNow();
  }

  onNewAlert(fn: NewAlertListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  // ---------------------------------------------------------------- alerts
  private async fetchActive(): Promise<Alert[]> {
    const [open, acked] = await Promise.all([
      this.api.alerts({ state: 'open', limit: 10_000 }),
      this.api.alerts({ state: 'acknowledged', limit: 10_000 }),
    ]);
    return [...open, ...acked];
  }

  async loadAlerts(announce: boolean): Promise<void> {
    const startedAt = Date.now();
    if (this.alertsLoad !== 'ready') this.alertsLoad = 'loading';
    let list: Alert[];
    try {
      list = await this.fetchActive();
    } catch (err) {
      if (err instanceof ApiError && err.unauthorized) return;
      this.alertsLoad = err instanceof ApiError && err.missing ? 'missing' : this.alertsLoad === 'ready' ? 'ready' : 'error';
      this.lastError = err instanceof Error ? err.message : String(err);
      return;
    }
    const ids = new Set<string>();
    for (const a of list) {
      ids.add(a.id);
      this.apply(a, announce);
    }
    // Alerts held as active but absent now were resolved while we were not listening; look them up
    // (unless a push about them arrived after this fetch started, which is newer than the answer).
    const gone = [...this.alerts.values()].filter(
      (a) => isActive(a) && !ids.has(a.id) && (this.pushedAt.get(a.id) ?? 0) < startedAt,
    );
    if (gone.length > 0 && gone.length <= 25) {
      await Promise.all(
        gone.map(async (a) => {
          try {
            this.apply(await this.api.alert(a.id), false);
          } catch {
            this.alerts.delete(a.id);
          }
        }),
      );
    } else {
      for (const a of gone) this.alerts.delete(a.id);
    }
    this.alertsLoad = 'ready';
  }

  async resync(): Promise<void> {
    await this.loadAlerts(true);
    void this.loadStats();
    if (this.loadDevices) void this.loadDeviceList();
    this.resyncedAt = Date.now();
  }

  /** Merge one alert version; returns true when it changed what we hold. */
  apply(a: Alert, announce: boolean): boolean {
    const held = this.alerts.get(a.id);
    if (!isNewer(a, held)) return false;
    this.alerts.set(a.id, a);
    if (announce && !held && a.state === 'open') for (const fn of this.listeners) fn(a);
    return true;
  }

  /** Applies one /ws message (already checked against the contract by parseLiveMessage). */
  onMessage(m: LiveMessage): void {
    switch (m.type) {
      case 'alert':
        this.pushedAt.set(m.alert.id, Date.now());
        this.apply(m.alert, true);
        this.statsSoon();
        break;
      case 'annotation':
        this.annotate(m.alertId, m.entry);
        break;
      case 'hello': {
        const skew = m.serverTime - Date.now();
        // ignore sub-second differences (network delay); correct real clock drift
        this.skewMs = Math.abs(skew) > 1500 ? skew : 0;
        this.now = Date.now() + this.skewMs;
        break;
      }
      case 'device':
        this.queueDevice(m.device);
        break;
    }
  }

  /** A delivery result for an alert we hold: appended to its history, the alert is not re-sent. */
  private annotate(alertId: string, entry: AlertHistoryEntry): void {
    const next = annotated(this.alerts.get(alertId), entry);
    if (next) this.alerts.set(alertId, next);
  }

  /** Local replacement after one of our own actions, before the push arrives. */
  private adopt(a: Alert): void {
    this.apply(a, false);
  }
  async ack(id: string): Promise<void> {
    this.adopt(await this.api.ack(id));
  }
  async assign(id: string, assignee: string): Promise<void> {
    this.adopt(await this.api.assign(id, assignee));
  }
  async resolve(id: string, note: string): Promise<void> {
    this.adopt(await this.api.resolve(id, note));
  }
  async refreshAlert(id: string): Promise<Alert | null> {
    try {
      const a = await this.api.alert(id);
      this.apply(a, false);
      return this.alerts.get(id) ?? a;
    } catch {
      return this.alerts.get(id) ?? null;
    }
  }

  // ---------------------------------------------------------------- devices
  async loadDeviceList(): Promise<void> {
    if (this.devicesLoad !== 'ready') this.devicesLoad = 'loading';
    try {
      const list = await this.api.devices();
      this.setDevices(list);
      this.devicesLoad = 'ready';
    } catch (err) {
      if (err instanceof ApiError && err.unauthorized) return;
      if (this.devicesLoad !== 'ready') this.devicesLoad = err instanceof ApiError && err.missing ? 'missing' : 'error';
    }
  }

  private setDevices(list: Device[]): void {
    this.deviceIndex = new Map();
    list.forEach((d, i) => this.deviceIndex.set(d.id, i));
    this.devices = list;
    this.deviceTick++;
  }

  device(id: string): Device | undefined {
    const i = this.deviceIndex.get(id);
    return i === undefined ? undefined : this.devices[i];
  }

  private queueDevice(d: Device): void {
    this.pendingDevices.set(d.id, d);
    if (!this.deviceFlush) this.deviceFlush = setTimeout(() => this.flushDevices(), 250);
  }

  private flushDevices(): void {
    this.deviceFlush = null;
    if (this.pendingDevices.size === 0) return;
    let next: Device[] | null = null; // copied only for a structural change
    for (const [id, patch] of this.pendingDevices) {
      const i = this.deviceIndex.get(id);
      if (i === undefined) {
        next ??= this.devices.slice();
        this.deviceIndex.set(id, next.length);
        next.push(patch);
        continue;
      }
      const held = (next ?? this.devices)[i]!;
      if (structuralChange(held, patch)) {
        next ??= this.devices.slice();
        next[i] = { ...held, ...patch };
      } else {
        Object.assign(held, patch);
      }
    }
    this.pendingDevices.clear();
    if (next) this.devices = next;
    this.deviceTick++;
  }

  // ---------------------------------------------------------------- grid, stats
  async loadGrid(): Promise<void> {
    this.gridLoad = 'loading';
    try {
      this.grid = await this.api.grid();
      this.gridLoad = 'ready';
    } catch (err) {
      this.gridLoad = err instanceof ApiError && err.missing ? 'missing' : 'error';
    }
  }

  /** Figures follow alert changes within seconds, without one request per change. */
  private statsSoon(): void {
    if (this.statsTimer) return;
    this.statsTimer = setTimeout(() => {
      this.statsTimer = null;
      void this.loadStats();
    }, 3000);
  }

  async loadStats(): Promise<void> {
    try {
      this.stats = await this.api.stats();
    } catch {
      this.stats = null;
    }
  }

  /** Devices with an active alert (for plan and table colouring). */
  alertingDevices = $derived.by(() => {
    const s = new Set<string>();
    for (const a of this.alerts.values()) if (isActive(a)) s.add(a.deviceId);
    return s;
  });
}
