// The active alerts, kept by id: loaded from /api/alerts, merged with pushes, changed by our own actions.
import { SvelteMap } from 'svelte/reactivity';
import type { Api } from '../api.ts';
import { annotated, isActive, isNewer, resolvedBefore, startOfToday, vanished } from '../alerts.ts';
import type { Alert, AlertHistoryEntry } from '../types.ts';
import { errorText, failedLoad, isUnauthorized, type Load } from './load.ts';

type NewAlertListener = (a: Alert) => void;

/** More vanished alerts than this are dropped rather than looked up one by one. */
const LOOKUP_LIMIT = 25;

export class AlertsState {
  readonly byId = new SvelteMap<string, Alert>();
  load = $state<Load>('idle');
  error = $state<string | null>(null);

  private listeners = new Set<NewAlertListener>();
  private pushedAt = new Map<string, number>();

  constructor(private readonly api: Api) {}

  onNew(fn: NewAlertListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private async fetchActive(): Promise<Alert[]> {
    const [open, acked] = await Promise.all([
      this.api.alerts({ state: 'open', limit: 10_000 }),
      this.api.alerts({ state: 'acknowledged', limit: 10_000 }),
    ]);
    return [...open, ...acked];
  }

  /** Fetches the active alerts; `announce` tells listeners about new open ones (a resync, not the first load). */
  async fetch(announce: boolean): Promise<void> {
    const startedAt = Date.now();
    if (this.load !== 'ready') this.load = 'loading';
    let list: Alert[];
    try {
      list = await this.fetchActive();
    } catch (err) {
      if (isUnauthorized(err)) return;
      this.load = failedLoad(err, this.load);
      this.error = errorText(err);
      return;
    }
    const ids = new Set<string>();
    for (const a of list) {
      ids.add(a.id);
      this.apply(a, announce);
    }
    const gone = vanished(this.byId.values(), ids, this.pushedAt, startedAt);
    if (gone.length > 0 && gone.length <= LOOKUP_LIMIT) {
      await Promise.all(
        gone.map(async (a) => {
          try {
            this.apply(await this.api.alert(a.id), false);
          } catch {
            this.byId.delete(a.id);
          }
        }),
      );
    } else {
      for (const a of gone) this.byId.delete(a.id);
    }
    this.load = 'ready';
  }

  /** Merge one alert version; returns true when it changed what we hold. */
  apply(a: Alert, announce: boolean): boolean {
    const held = this.byId.get(a.id);
    if (!isNewer(a, held)) return false;
    this.byId.set(a.id, a);
    if (announce && !held && a.state === 'open') for (const fn of this.listeners) fn(a);
    return true;
  }

  /** A version pushed over /ws. */
  pushed(a: Alert): void {
    this.pushedAt.set(a.id, Date.now());
    this.apply(a, true);
  }

  /** A delivery result for an alert we hold: appended to its history, the alert is not re-sent. */
  annotate(alertId: string, entry: AlertHistoryEntry): void {
    const next = annotated(this.byId.get(alertId), entry);
    if (next) this.byId.set(alertId, next);
  }

  /** Forget alerts resolved before today. */
  forgetOld(now: number): void {
    for (const id of resolvedBefore(this.byId.values(), startOfToday(now))) this.byId.delete(id);
  }

  clear(): void {
    this.byId.clear();
  }

  // Our own actions: the reply replaces the alert locally, before the push arrives.
  async ack(id: string): Promise<void> {
    this.apply(await this.api.ack(id), false);
  }
  async assign(id: string, assignee: string): Promise<void> {
    this.apply(await this.api.assign(id, assignee), false);
  }
  async resolve(id: string, note: string): Promise<void> {
    this.apply(await this.api.resolve(id, note), false);
  }
  async refresh(id: string): Promise<Alert | null> {
    try {
      const a = await this.api.alert(id);
      this.apply(a, false);
      return this.byId.get(id) ?? a;
    } catch {
      return this.byId.get(id) ?? null;
    }
  }

  /** Devices with an active alert (for plan and table colouring). */
  readonly alertingDevices = $derived.by(() => {
    const s = new Set<string>();
    for (const a of this.byId.values()) if (isActive(a)) s.add(a.deviceId);
    return s;
  });
}
