// Pure alert logic: ordering, counting, merging live updates, key figures. No DOM, no runes.
import { SEVERITIES, type Alert, type Device, type Severity, type User } from './types.ts';
import { toMs } from './time.ts';

/** Per-cell key for alerts of devices not placed in a cell (the hub's /api/stats uses the same). */
export const UNASSIGNED = 'unassigned';

export const SEVERITY_RANK: Record<Severity, number> = { critical: 0, major: 1, minor: 2, info: 3 };

export function severityRank(s: string): number {
  return (SEVERITY_RANK as Record<string, number>)[s] ?? 4;
}

export type AgeOrder = 'newest' | 'oldest';

/** Severity first (critical on top), then age; ties broken by id so the order is stable. */
export function compareAlerts(a: Alert, b: Alert, order: AgeOrder = 'newest'): number {
  const s = severityRank(a.severity) - severityRank(b.severity);
  if (s !== 0) return s;
  const ta = toMs(a.openedAt) ?? 0;
  const tb = toMs(b.openedAt) ?? 0;
  if (ta !== tb) return order === 'newest' ? tb - ta : ta - tb;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function sortAlerts(list: readonly Alert[], order: AgeOrder = 'newest'): Alert[] {
  return [...list].sort((a, b) => compareAlerts(a, b, order));
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
  for (const a of list) if (pred(a) && a.severity in c) c[a.severity]++;
  return c;
}

/**
 * Whether an incoming version of an alert should replace the one held. Uses the latest of the
 * alert's own timestamps and history length so a stale resync answer never undoes a newer push.
 */
export function alertVersion(a: Alert): number {
  let v = 0;
  for (const t of [a.openedAt, a.lastSeenAt, a.clearedAt, a.acknowledgedAt, a.resolvedAt]) {
    const ms = toMs(t);
    if (ms !== null && ms > v) v = ms;
  }
  return v * 1000 + (a.history?.length ?? 0) + (a.count ?? 0) / 1000;
}

export function isNewer(incoming: Alert, held: Alert | undefined): boolean {
  if (!held) return true;
  const rank = { open: 0, acknowledged: 1, resolved: 2 } as const;
  // state only moves forward for one alert id
  if ((rank[incoming.state] ?? 0) < (rank[held.state] ?? 0)) return false;
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

export interface KeyFigures {
  devicesTotal: number;
  devicesOnline: number;
  onlinePct: number | null;
  openBySeverity: SeverityCounts;
  mttaTodayS: number | null;
  alertsPerCell: [string, number][];
}

export function startOfToday(now: number): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** Key figures from what the page holds; server-side /api/stats overrides where present. */
export function countOnline(devices: readonly Device[]): { total: number; online: number } {
  let online = 0;
  for (const d of devices) if (d.online) online++;
  return { total: devices.length, online };
}

/** Key figures; `devices` is the registry or its countOnline() summary (cheaper on every alert change). */
export function computeFigures(
  alerts: Iterable<Alert>,
  devices: readonly Device[] | { total: number; online: number },
  now: number,
): KeyFigures {
  const open = emptyCounts();
  const perCell = new Map<string, number>();
  const today = startOfToday(now);
  let ackSum = 0;
  let ackN = 0;
  for (const a of alerts) {
    if (isActive(a)) {
      if (a.severity in open) open[a.severity]++;
      const cell = a.gridCellId ?? UNASSIGNED;
      perCell.set(cell, (perCell.get(cell) ?? 0) + 1);
    }
    const ack = toMs(a.acknowledgedAt);
    const opened = toMs(a.openedAt);
    if (ack !== null && opened !== null && ack >= today && ack >= opened) {
      ackSum += ack - opened;
      ackN++;
    }
  }
  const { total, online } = Array.isArray(devices) ? countOnline(devices) : (devices as { total: number; online: number });
  return {
    devicesTotal: total,
    devicesOnline: online,
    onlinePct: total ? (100 * online) / total : null,
    openBySeverity: open,
    mttaTodayS: ackN ? ackSum / ackN / 1000 : null,
    alertsPerCell: [...perCell.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
  };
}

export { SEVERITIES };
