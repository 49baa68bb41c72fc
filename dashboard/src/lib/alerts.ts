// Pure alert logic: ordering, counting, merging live updates. No DOM, no runes.
// Key figures are the hub's (/api/stats): the page holds only active alerts, so it cannot compute them.
import { severityRank } from '#devices/alerts.ts';
import { SEVERITIES, type Alert, type AlertHistoryEntry, type AlertState, type Severity, type User } from './types.ts';

export type AgeOrder = 'newest' | 'oldest';
export type QueueOrder = 'urgency' | AgeOrder;

/** Severity first (critical on top), then age; ties broken by id so the order is stable. */
export function compareAlerts(a: Alert, b: Alert, order: AgeOrder = 'newest'): number {
  const s = severityRank[a.severity] - severityRank[b.severity];
  if (s !== 0) return s;
  const ta = a.openedAt;
  const tb = b.openedAt;
  if (ta !== tb) return order === 'newest' ? tb - ta : ta - tb;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function sortAlerts(list: readonly Alert[], order: AgeOrder = 'newest'): Alert[] {
  return [...list].sort((a, b) => compareAlerts(a, b, order));
}

/**
 * How urgent an alert is, lower first: an unacknowledged critical alert, then an escalated one
 * (nobody took it in time), then other unacknowledged ones, then those someone has taken.
 */
export function urgencyTier(a: Alert): number {
  if (a.state === 'open' && a.severity === 'critical') return 0;
  if (a.state === 'open' && a.escalationLevel > 0) return 1;
  if (a.state === 'open') return 2;
  return 3;
}

/** The control room's default order: by urgency tier, higher escalation, severity, then the oldest first. */
export function compareUrgency(a: Alert, b: Alert): number {
  return (
    urgencyTier(a) - urgencyTier(b) ||
    b.escalationLevel - a.escalationLevel ||
    severityRank[a.severity] - severityRank[b.severity] ||
    a.openedAt - b.openedAt ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

export function orderQueue(list: readonly Alert[], order: QueueOrder): Alert[] {
  return order === 'urgency' ? [...list].sort(compareUrgency) : sortAlerts(list, order);
}

/** A grouped incident at a glance: when its first alert opened and how many devices it covers. */
export function incidentSummary(e: QueueEntry): { startedAt: number; devices: number; alerts: number } {
  const all = [e.alert, ...e.related];
  return {
    startedAt: Math.min(...all.map((a) => a.openedAt)),
    devices: new Set(all.map((a) => a.deviceId)).size,
    alerts: all.length,
  };
}

export interface QueueEntry {
  alert: Alert;
  /** Other active alerts of the same incident, shown folded under this one. */
  related: Alert[];
}

/**
 * Folds alerts sharing an incidentId into one queue entry led by the first of them in `sorted`
 * order (the most severe, then by age), so the control room sees one fire rather than twenty alarms.
 */
export function foldIncidents(sorted: readonly Alert[]): QueueEntry[] {
  const out: QueueEntry[] = [];
  const lead = new Map<string, QueueEntry>();
  for (const a of sorted) {
    const inc = a.incidentId;
    if (inc) {
      const e = lead.get(inc);
      if (e) {
        e.related.push(a);
        continue;
      }
    }
    const entry = { alert: a, related: [] as Alert[] };
    if (inc) lead.set(inc, entry);
    out.push(entry);
  }
  return out;
}

export function isActive(a: Alert): boolean {
  return a.state !== 'resolved';
}

export type SeverityCounts = Record<Severity, number>;

export function emptyCounts(): SeverityCounts {
  return { critical: 0, major: 0, minor: 0, info: 0 };
}

/** Counts per severity of alerts matching `pred` (default: unacknowledged). */
export function countBySeverity(list: Iterable<Alert>, pred: (a: Alert) => boolean = (a) => a.state === 'open'): SeverityCounts {
  const c = emptyCounts();
  for (const a of list) if (pred(a)) c[a.severity]++;
  return c;
}

/**
 * Whether an incoming version of an alert should replace the one held. Uses the latest of the
 * alert's own timestamps and history length so a stale resync answer never undoes a newer push.
 */
export function alertVersion(a: Alert): number {
  let v = 0;
  for (const t of [a.openedAt, a.lastSeenAt, a.clearedAt, a.acknowledgedAt, a.resolvedAt]) {
    if (t !== null && t > v) v = t;
  }
  return v * 1000 + a.history.length + a.count / 1000;
}

const STATE_RANK: Record<AlertState, number> = { open: 0, acknowledged: 1, resolved: 2 };

export function isNewer(incoming: Alert, held: Alert | undefined): boolean {
  if (!held) return true;
  // state only moves forward for one alert id
  if (STATE_RANK[incoming.state] < STATE_RANK[held.state]) return false;
  return alertVersion(incoming) >= alertVersion(held);
}

/** Alerts a grid worker should see: those in their cells or assigned to them, not resolved. */
export function isMine(a: Alert, user: User | null): boolean {
  if (!isActive(a)) return false;
  if (!user) return true;
  if (a.assignee && a.assignee === user.username) return true;
  if (!user.cells || user.cells.length === 0) return true; // the server scopes what we receive
  return a.gridCellId !== null && user.cells.includes(a.gridCellId);
}

/** The alert with a delivery result appended to its history (a /ws `annotation`), or null when the alert is not held. */
export function annotated(held: Alert | undefined, entry: AlertHistoryEntry): Alert | null {
  return held ? { ...held, history: [...held.history, entry] } : null;
}

export function startOfToday(now: number): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export { SEVERITIES };

/**
 * Alerts held as active that a fresh list no longer has: resolved while we were not listening,
 * unless a push about them arrived after the fetch started (newer than the answer).
 */
export function vanished(held: Iterable<Alert>, listed: ReadonlySet<string>, pushedAt: ReadonlyMap<string, number>, fetchStartedAt: number): Alert[] {
  const out: Alert[] = [];
  for (const a of held) if (isActive(a) && !listed.has(a.id) && (pushedAt.get(a.id) ?? 0) < fetchStartedAt) out.push(a);
  return out;
}

/** Ids of alerts resolved before `today` (start of the day): the page forgets them. */
export function resolvedBefore(held: Iterable<Alert>, today: number): string[] {
  const out: string[] = [];
  for (const a of held) if (a.state === 'resolved' && (a.resolvedAt ?? 0) < today) out.push(a.id);
  return out;
}
