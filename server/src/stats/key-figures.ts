import { SEVERITIES, type Alert, type Severity } from '#devices';
import type { Device } from '../registry/devices.ts';

/** The control room's header figures (GET /api/stats). */
export interface KeyFigures {
  devices: { total: number; online: number; onlinePct: number | null };
  alerts: { openBySeverity: Record<Severity, number>; unacknowledgedBySeverity: Record<Severity, number>; perCell: Record<string, number> };
  meanTimeToAcknowledgeTodayS: number | null;
}

/** What the figures are computed from; the hub's registry and alert service satisfy it. */
export interface KeyFigureSources {
  devices: Iterable<Device>;
  unresolved: readonly Alert[];
  openedSince(since: number): readonly Alert[];
}

/** What the caller may see: figures count nothing outside it. */
export interface FigureScope {
  device(d: Device): boolean;
  alert(a: Alert): boolean;
}

/** The communities this hub serves keep Beijing time, whatever zone the server runs in. */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

export function keyFigures(src: KeyFigureSources, scope: FigureScope, now: number, timeZone: string = DEFAULT_TIME_ZONE): KeyFigures {
  let total = 0;
  let online = 0;
  for (const d of src.devices) {
    if (!scope.device(d)) continue;
    total++;
    if (d.online) online++;
  }
  const openBySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const unacknowledgedBySeverity = { ...openBySeverity };
  const perCell: Record<string, number> = {};
  for (const a of src.unresolved) {
    if (!scope.alert(a)) continue;
    openBySeverity[a.severity]++;
    if (a.state === 'open') unacknowledgedBySeverity[a.severity]++;
    const cell = a.gridCellId ?? 'unassigned';
    perCell[cell] = (perCell[cell] ?? 0) + 1;
  }
  const acked = src.openedSince(startOfDay(now, timeZone)).filter((a) => a.acknowledgedAt !== null && scope.alert(a));
  const mttaS = acked.length ? acked.reduce((sum, a) => sum + (a.acknowledgedAt! - a.openedAt), 0) / acked.length / 1000 : null;
  return {
    devices: { total, online, onlinePct: total ? Math.round((online / total) * 1000) / 10 : null },
    alerts: { openBySeverity, unacknowledgedBySeverity, perCell },
    meanTimeToAcknowledgeTodayS: mttaS === null ? null : Math.round(mttaS),
  };
}

/** Epoch ms of the midnight that began the day `now` falls in, in `timeZone` (DST-safe). */
export function startOfDay(now: number, timeZone: string): number {
  const wall = wallClock(now, timeZone);
  const midnightAsUtc = Date.UTC(wall.year, wall.month - 1, wall.day);
  // The zone's offset at midnight may differ from now's (a DST change during the day).
  let t = midnightAsUtc - offsetAt(midnightAsUtc, timeZone);
  const corrected = midnightAsUtc - offsetAt(t, timeZone);
  if (corrected !== t) t = corrected;
  return t;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function wallClock(t: number, timeZone: string) {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formats.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(t).map((p) => [p.type, p.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute), second: Number(parts.second) };
}

/** How far the zone's wall clock is ahead of UTC at `t`, in ms. */
function offsetAt(t: number, timeZone: string): number {
  const w = wallClock(t, timeZone);
  const wholeSecond = t - (((t % 1000) + 1000) % 1000);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - wholeSecond;
}
