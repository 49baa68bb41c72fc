import { randomUUID } from 'node:crypto';
import { ALERT_TYPES, alertTitle, kindSpecs, type Alert, type AlertHistoryEntry, type AlertType, type Severity } from '#devices';
import { Listeners } from '../events.ts';
import type { GridModel, Person } from '../grid/model.ts';
import type { IncidentRuleConfig } from '../grid/config-file.ts';
import type { Logger } from '../log.ts';
import type { Device, DeviceRegistry } from '../registry/devices.ts';
import type { Signal } from '../rules/types.ts';
import type { EscalationPolicy } from './policy.ts';
import type { AlertFilter, AlertStore } from './repository.ts';
import type { AlertChange, AlertSnapshot, Annotation } from './changes.ts';
import { AlertErrors } from './errors.ts';

export type { AlertChange } from './changes.ts';

export interface AlertServiceDeps {
  repo: AlertStore;
  /** Cluster mode: whether this hub holds the community's lease now (all communities otherwise). */
  owns?: (communityId: string) => boolean;
  grid: GridModel;
  registry: DeviceRegistry;
  clock: () => number;
  log: Logger;
  escalation: EscalationPolicy;
  incidentRules: IncidentRuleConfig[];
}

const SYSTEM = 'system';

/**
 * The alert lifecycle: one unresolved alert per (device, type); repeats raise `count`; the device
 * condition clearing (`clearedAt`) is separate from people acknowledging and resolving; every
 * change lands in `history`, in SQLite, and goes to the change listeners as a typed `AlertChange`
 * (the notification channels, the cameras).
 */
export class AlertService {
  private readonly live = new Map<string, Alert>();
  private readonly byKey = new Map<string, Alert>();
  /** Level conditions currently holding, so only a transition into one opens or repeats an alert. */
  private readonly activeConditions = new Set<string>();
  private readonly listeners = new Listeners<AlertChange>((err, change) => this.d.log.error({ err, alertId: change.alert.id, change: change.type }, 'alert change listener failed'));

  constructor(private readonly d: AlertServiceDeps) {}

  start(): void {
    this.adopt(this.d.repo.loadUnresolved());
  }

  /** Takes unresolved alerts into the working set (at start; in cluster mode, a community taken over). */
  adopt(alerts: readonly Alert[]): void {
    for (const alert of alerts) {
      this.live.set(alert.id, alert);
      this.byKey.set(key(alert.deviceId, alert.type), alert);
      if (alert.clearedAt === null) this.activeConditions.add(key(alert.deviceId, alert.type));
    }
  }

  /** Cluster mode: a community whose lease is gone leaves the working set at once. */
  drop(communityId: string): void {
    for (const alert of [...this.live.values()]) {
      if (alert.communityId !== communityId) continue;
      this.live.delete(alert.id);
      this.byKey.delete(key(alert.deviceId, alert.type));
      this.activeConditions.delete(key(alert.deviceId, alert.type));
    }
  }

  /** Returns the function that stops listening. */
  onChange(listener: (change: AlertChange) => void): () => void {
    return this.listeners.add(listener);
  }

  unresolved(): Alert[] {
    const others = this.d.repo.othersUnresolved?.();
    return others ? [...this.live.values(), ...others.filter((a) => !this.live.has(a.id))] : [...this.live.values()];
  }

  get(id: string): Alert | undefined {
    return this.live.get(id) ?? this.d.repo.get(id);
  }

  list(filter: AlertFilter): Alert[] {
    return this.d.repo.list(filter);
  }

  openedSince(since: number): Alert[] {
    return this.d.repo.openedSince(since);
  }

  /** Applies one rule conclusion about a device. */
  signal(device: Device, sig: Signal): Alert | undefined {
    // Another hub holds this community: its conclusions are that hub's to draw.
    if (this.d.owns && !this.d.owns(device.communityId)) return undefined;
    const now = this.d.clock();
    const k = key(device.id, sig.type);
    const existing = this.byKey.get(k);
    if (sig.action === 'clear') {
      this.activeConditions.delete(k);
      if (!existing || existing.clearedAt !== null) return existing;
      existing.clearedAt = now;
      return this.commit({ at: now, action: 'cleared', by: SYSTEM, ...(sig.detail ? { detail: sig.detail } : {}) }, { type: 'cleared', alert: existing });
    }
    if (sig.action === 'active' && this.activeConditions.has(k)) return existing;
    this.activeConditions.add(k);
    if (existing) {
      existing.count++;
      existing.lastSeenAt = now;
      const wasCleared = existing.clearedAt !== null;
      existing.clearedAt = null;
      return this.commit(
        { at: now, action: wasCleared ? 'recurred' : 'repeated', by: SYSTEM, detail: { count: existing.count, ...sig.detail } },
        { type: 'repeated', alert: existing, recurred: wasCleared },
      );
    }
    return this.open(device, sig, now);
  }

  /** Alerts of these types, unresolved, opened since `since` — for correlating devices. */
  recent(types: readonly AlertType[], since: number, where: (a: Alert) => boolean): Alert[] {
    return [...this.live.values()].filter((a) => types.includes(a.type) && a.openedAt >= since && where(a));
  }

  /** `detail` goes into the history entry (cluster mode: the forwarded command's id, so a new holder can tell it was applied). */
  acknowledge(id: string, by: string, detail?: Record<string, unknown>): Alert {
    const alert = this.mustBeLive(id);
    if (alert.state === 'acknowledged') return alert;
    const now = this.d.clock();
    alert.state = 'acknowledged';
    alert.acknowledgedAt = now;
    alert.acknowledgedBy = by;
    alert.ackDeadlineAt = null;
    setNextReminder(alert, null);
    return this.commit({ at: now, action: 'acknowledged', by, ...(detail ? { detail } : {}) }, { type: 'acknowledged', alert, actor: by });
  }

  assign(id: string, assignee: string, by: string, detail?: Record<string, unknown>): Alert {
    const alert = this.mustBeLive(id);
    const now = this.d.clock();
    alert.assignee = assignee;
    return this.commit({ at: now, action: 'assigned', by, detail: { ...detail, assignee } }, { type: 'assigned', alert, actor: by, assignee });
  }

  resolve(id: string, by: string, note: string, detail?: Record<string, unknown>): Alert {
    const alert = this.mustBeLive(id);
    const now = this.d.clock();
    if (alert.acknowledgedAt === null) {
      // Resolving is also acknowledging: someone has dealt with it.
      alert.acknowledgedAt = now;
      alert.acknowledgedBy = by;
    }
    alert.state = 'resolved';
    alert.resolvedAt = now;
    alert.resolvedBy = by;
    alert.ackDeadlineAt = null;
    setNextReminder(alert, null);
    this.live.delete(alert.id);
    if (this.byKey.get(key(alert.deviceId, alert.type)) === alert) this.byKey.delete(key(alert.deviceId, alert.type));
    return this.commit({ at: now, action: 'resolved', by, note, ...(detail ? { detail } : {}) }, { type: 'resolved', alert, actor: by, note });
  }

  /** Records a channel's delivery result in the history (an `annotated` change: nothing else changes). */
  annotate(id: string, annotation: Annotation): Alert | undefined {
    const alert = this.get(id);
    if (!alert) return undefined;
    const entry: AlertHistoryEntry = { at: this.d.clock(), ...annotation };
    return this.commit(entry, { type: 'annotated', alert, entry });
  }

  /** Adds a camera snapshot to the alert (content the whole-alert channels send). */
  attachSnapshot(id: string, snapshot: AlertSnapshot, bytes: number): Alert | undefined {
    const alert = this.get(id);
    if (!alert) return undefined;
    alert.snapshots = [...(alert.snapshots ?? []), snapshot];
    return this.commit({ at: this.d.clock(), action: 'snapshot', by: SYSTEM, detail: { cameraId: snapshot.cameraId, bytes } }, { type: 'snapshot_attached', alert, snapshot });
  }

  /** Escalations and reminders that are due; call every second or so (tests pass their own clock). */
  tick(): void {
    const now = this.d.clock();
    const { escalation } = this.d;
    for (const alert of this.live.values()) {
      if (alert.state !== 'open') continue;
      if (alert.ackDeadlineAt != null && now >= alert.ackDeadlineAt) {
        alert.escalationLevel++;
        const deadline = escalation.ackDeadlineS[alert.severity];
        alert.ackDeadlineAt = alert.escalationLevel < escalation.maxLevel && deadline ? now + deadline * 1000 : null;
        const target = alert.escalationLevel === 1 ? this.d.grid.supervisor(alert.gridCellId) : this.d.grid.controlRoomLead(alert.communityId);
        const recipients = target ? [target] : [];
        this.commit(
          { at: now, action: 'escalated', by: SYSTEM, detail: { level: alert.escalationLevel, to: recipients.map(describe), missing: recipients.length ? undefined : alert.escalationLevel === 1 ? 'no supervisor configured for the cell' : 'no control-room lead configured' } },
          { type: 'escalated', alert, recipients, controlRoom: alert.escalationLevel >= 2, level: alert.escalationLevel },
        );
      }
      const next = nextReminder(alert);
      if (next != null && now >= next) {
        const interval = escalation.reminderIntervalS[alert.severity];
        setNextReminder(alert, interval ? now + interval * 1000 : null);
        const recipients = this.recipientsNow(alert);
        this.commit({ at: now, action: 'reminded', by: SYSTEM, detail: { to: recipients.map(describe) } }, { type: 'reminded', alert, recipients, controlRoom: true, level: alert.escalationLevel });
      }
    }
  }

  private open(device: Device, sig: Signal, now: number): Alert {
    const severity = severityOf(sig.type, device);
    const deadline = this.d.escalation.ackDeadlineS[severity];
    const reminder = this.d.escalation.reminderIntervalS[severity];
    const alert: Alert = {
      id: `a-${randomUUID()}`,
      communityId: device.communityId,
      gridCellId: device.gridCellId,
      deviceId: device.id,
      kind: device.kind,
      type: sig.type,
      severity,
      state: 'open',
      title: alertTitle(sig.type, deviceLabel(device, this.d.grid)),
      openedAt: now,
      lastSeenAt: now,
      clearedAt: null,
      acknowledgedAt: null,
      acknowledgedBy: null,
      resolvedAt: null,
      resolvedBy: null,
      count: 1,
      assignee: null,
      escalationLevel: 0,
      incidentId: null,
      history: [],
      buildingId: device.buildingId,
      floor: device.floor,
      ackDeadlineAt: deadline ? now + deadline * 1000 : null,
    };
    setNextReminder(alert, reminder ? now + reminder * 1000 : null);
    alert.incidentId = this.incidentFor(alert, device, now);
    this.live.set(alert.id, alert);
    this.byKey.set(key(device.id, sig.type), alert);
    alert.history.push({ at: now, action: 'opened', by: SYSTEM, ...(sig.detail ? { detail: sig.detail } : {}) });
    const grouped = alert.incidentId !== `inc-${alert.id}`;
    if (grouped) alert.history.push({ at: now, action: 'grouped', by: SYSTEM, detail: { incidentId: alert.incidentId } });
    const recipients = this.d.grid.cellWorkers(alert.gridCellId);
    // One change for the opening: its history is opened, grouped (when it joined an incident), notified.
    return this.commit(
      { at: now, action: 'notified', by: SYSTEM, detail: { to: recipients.map(describe), controlRoom: alert.communityId } },
      { type: 'opened', alert, grouped, recipients, controlRoom: true, level: 0 },
    );
  }

  /** Joins an unresolved incident of the same rule and scope inside its window, or starts one. */
  private incidentFor(alert: Alert, device: Device, now: number): string {
    for (const rule of this.d.incidentRules) {
      if (!rule.types.includes(alert.type)) continue;
      const scope = scopeKey(rule.scope, device);
      if (!scope) continue;
      for (const other of this.live.values()) {
        if (!other.incidentId || !rule.types.includes(other.type)) continue;
        if (now - other.openedAt > rule.windowS * 1000) continue;
        const otherDevice = this.d.registry.get(other.deviceId);
        if (otherDevice && scopeKey(rule.scope, otherDevice) === scope) return other.incidentId;
      }
    }
    return `inc-${alert.id}`;
  }

  private recipientsNow(alert: Alert): Person[] {
    const people = [...this.d.grid.cellWorkers(alert.gridCellId)];
    if (alert.escalationLevel >= 1) {
      const s = this.d.grid.supervisor(alert.gridCellId);
      if (s) people.push(s);
    }
    if (alert.escalationLevel >= 2) {
      const l = this.d.grid.controlRoomLead(alert.communityId);
      if (l) people.push(l);
    }
    return people;
  }

  private mustBeLive(id: string): Alert {
    const alert = this.live.get(id);
    if (alert) return alert;
    if (this.d.repo.get(id)) throw new AlertErrors.AlreadyResolved(id);
    throw new AlertErrors.NotFound(id);
  }

  /** Appends the change's history entry, saves the alert and emits the change. */
  private commit(entry: AlertHistoryEntry, change: AlertChange): Alert {
    const { alert } = change;
    // Each change saves and sends the whole alert: a device repeating within its rate budget grew it by megabytes an hour.
    if (alert.history.length >= MAX_HISTORY && DEVICE_CHURN.has(entry.action)) {
      const oldest = alert.history.findIndex((h) => DEVICE_CHURN.has(h.action));
      if (oldest >= 0) {
        alert.history.splice(oldest, 1);
        alert.historyOmitted = (alert.historyOmitted ?? 0) + 1;
      }
    }
    alert.history.push(entry);
    if (this.d.repo.saveChange) {
      this.d.repo.saveChange(change, () => this.listeners.emit(change));
    } else {
      this.d.repo.save(alert);
      this.listeners.emit(change);
    }
    return alert;
  }
}

const key = (deviceId: string, type: string) => `${deviceId}|${type}`;

/** History entries an alert keeps before the device's own churn makes room for newer churn. */
export const MAX_HISTORY = 200;
/** What a device can repeat at its message rate; people's actions, notifications and the opening are never dropped. */
const DEVICE_CHURN: ReadonlySet<AlertHistoryEntry['action']> = new Set(['repeated', 'recurred', 'cleared', 'snapshot']);

function severityOf(type: AlertType, device: Device): Severity {
  if (type === 'device_offline') return kindSpecs[device.kind].offlineSeverity;
  return ALERT_TYPES[type].severity;
}

function scopeKey(scope: IncidentRuleConfig['scope'], device: Device): string | null {
  switch (scope) {
    case 'device':
      return device.id;
    case 'building':
      return device.buildingId ? `b:${device.buildingId}` : device.gridCellId ? `c:${device.gridCellId}` : `d:${device.id}`;
    case 'cell':
      return device.gridCellId ? `c:${device.gridCellId}` : `m:${device.communityId}`;
    case 'community':
      return `m:${device.communityId}`;
  }
}

export function deviceLabel(device: Device, grid: GridModel): string {
  const name = device.name ? (typeof device.name === "string" ? device.name : `${device.name.zh} ${device.name.en}`) : device.id;
  const building = device.buildingId ? grid.building(device.buildingId)?.building.name : undefined;
  const where = building ? (typeof building === 'string' ? building : building.zh) : device.buildingId;
  return [name, where && !name.includes(where) ? where : undefined, device.floor != null ? `${device.floor}F` : undefined].filter(Boolean).join(' · ');
}

const describe = (p: Person) => ({ id: p.id, name: p.name, role: p.role, ...(p.phone ? { phone: p.phone } : {}) });

// The next reminder time lives on the alert (persisted with it) under a private extension key.
type WithReminder = Alert & { nextReminderAt?: number | null };
const nextReminder = (a: Alert) => (a as WithReminder).nextReminderAt ?? null;
const setNextReminder = (a: Alert, at: number | null) => {
  (a as WithReminder).nextReminderAt = at;
};
