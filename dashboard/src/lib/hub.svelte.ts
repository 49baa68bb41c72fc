// The dashboard's state, composed of one state per concern (lib/state/): session, alerts, devices,
// grid and figures, live connection. This class only wires them: what a login starts, what a lost
// session stops, what a /ws message or a reconnect updates. One instance per page.
import { Api } from './api.ts';
import type { Alert, Device, LiveMessage } from './types.ts';
import { SessionState } from './state/session.svelte.ts';
import { AlertsState } from './state/alerts.svelte.ts';
import { DevicesState } from './state/devices.svelte.ts';
import { GridState } from './state/grid.svelte.ts';
import { LiveState } from './state/live.svelte.ts';

export type { AuthState, Load } from './state/load.ts';

export interface HubOptions {
  /** The worker view on a phone does not load the whole device registry. */
  loadDevices?: boolean;
  api?: Api;
}

/** Seconds between housekeeping rounds, and between polls while /ws is down. */
const HOUSEKEEPING_TICKS = 60;
const POLL_TICKS = 10;
const RECHECK_MS = 3000;

export class Hub {
  readonly api: Api;
  readonly session: SessionState;
  readonly alertState: AlertsState;
  readonly deviceState: DevicesState;
  readonly gridState: GridState;
  readonly liveState = new LiveState();
  private readonly loadDevices: boolean;
  private started = false;
  private loadsStarted = false;

  constructor(opts: HubOptions = {}) {
    this.loadDevices = opts.loadDevices ?? true;
    this.api = opts.api ?? new Api();
    this.session = new SessionState(this.api);
    this.alertState = new AlertsState(this.api);
    this.deviceState = new DevicesState(this.api);
    this.gridState = new GridState(this.api);
    this.api.onUnauthorized = () => this.sessionLost();
  }

  // What components read, under the names they have always used.
  get auth() { return this.session.auth; }
  get user() { return this.session.user; }
  get alerts() { return this.alertState.byId; }
  get alertsLoad() { return this.alertState.load; }
  get alertingDevices() { return this.alertState.alertingDevices; }
  get devices() { return this.deviceState.list; }
  get deviceTick() { return this.deviceState.tick; }
  get devicesLoad() { return this.deviceState.load; }
  get grid() { return this.gridState.grid; }
  get gridLoad() { return this.gridState.load; }
  get stats() { return this.gridState.stats; }
  get directory() { return this.gridState.directory; }
  get communityStats() { return this.gridState.communityStats; }
  get conn() { return this.liveState.conn; }
  get retryAt() { return this.liveState.retryAt; }
  get resyncedAt() { return this.liveState.resyncedAt; }
  get now() { return this.liveState.now; }
  get lastError() { return this.alertState.error ?? this.session.error; }

  // ---------------------------------------------------------------- session
  async init(): Promise<void> {
    // Fetch state while the session is being checked: first render does not wait for two round trips.
    if (!this.loadsStarted) this.startLoads();
    const auth = await this.session.check();
    if (auth === 'needed') {
      this.loadsStarted = false;
      return;
    }
    if (auth === 'unreachable') {
      this.loadsStarted = false;
      setTimeout(() => {
        if (this.session.auth === 'unreachable') void this.init();
      }, RECHECK_MS);
      return;
    }
    this.start();
  }

  async login(username: string, password: string): Promise<void> {
    await this.session.login(username, password);
    this.start();
  }

  async logout(): Promise<void> {
    await this.session.logout();
    this.stop();
    this.alertState.clear();
    this.deviceState.clear();
    this.loadsStarted = false;
  }

  private sessionLost(code?: number): void {
    if (!this.session.lost(code)) return;
    this.stop();
    this.loadsStarted = false;
  }

  private startLoads(): void {
    this.loadsStarted = true;
    // The alert queue first: the registry (up to 50,000 devices) would otherwise delay it.
    // The grid (small) alongside it: with it and the figures the sub-district overview is whole.
    // The ~60,000-device registry waits for all three; sent and parsed alongside, it held them back.
    const grid = this.gridState.fetchGrid();
    void this.alertState.fetch(false).finally(async () => {
      void this.gridState.fetchPeople();
      await grid;
      const stats = this.gridState.fetchStats();
      // the hub answers one request after the other: the overview's figures before the registry
      if ((this.gridState.grid?.communities.length ?? 0) > 1) await stats;
      if (this.loadDevices) void this.deviceState.fetch();
    });
  }

  // ---------------------------------------------------------------- lifecycle
  start(): void {
    if (this.started) return;
    this.started = true;
    if (!this.loadsStarted) this.startLoads();
    this.liveState.start({
      onMessage: (m) => this.onMessage(m),
      onReconnect: () => void this.resync(),
      onAccessEnded: (code) => this.sessionLost(code),
      onTick: (ticks) => {
        if (ticks % HOUSEKEEPING_TICKS === 0) {
          this.alertState.forgetOld(this.liveState.now);
          void this.gridState.fetchStats();
        }
        // while /ws is down, poll so the queue stays close to true
        if (ticks % POLL_TICKS === 0 && this.liveState.conn === 'down') void this.alertState.fetch(true);
      },
    });
  }

  stop(): void {
    this.started = false;
    this.liveState.stop();
    this.gridState.stop();
  }

  retryNow(): void {
    this.liveState.retryNow();
  }

  onNewAlert(fn: (a: Alert) => void): () => void {
    return this.alertState.onNew(fn);
  }

  async resync(): Promise<void> {
    await this.alertState.fetch(true);
    void this.gridState.fetchStats();
    if (this.loadDevices) void this.deviceState.fetch();
    this.liveState.resyncedAt = Date.now();
  }

  /** Applies one /ws message (already checked against the contract by parseLiveMessage). */
  onMessage(m: LiveMessage): void {
    switch (m.type) {
      case 'alert':
        this.alertState.pushed(m.alert);
        this.gridState.statsSoon();
        break;
      case 'annotation':
        this.alertState.annotate(m.alertId, m.entry);
        break;
      case 'hello':
        this.liveState.hello(m.serverTime);
        break;
      case 'device':
        this.deviceState.queue(m.device);
        break;
    }
  }

  // ---------------------------------------------------------------- actions
  ack(id: string): Promise<void> {
    return this.alertState.ack(id);
  }
  assign(id: string, assignee: string): Promise<void> {
    return this.alertState.assign(id, assignee);
  }
  resolve(id: string, note: string): Promise<void> {
    return this.alertState.resolve(id, note);
  }
  refreshAlert(id: string): Promise<Alert | null> {
    return this.alertState.refresh(id);
  }
  device(id: string): Device | undefined {
    return this.deviceState.get(id);
  }
}
