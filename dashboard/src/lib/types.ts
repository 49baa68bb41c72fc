// Shapes of what the hub sends, per ../shared/CONTRACT.md plus the dashboard's assumed extensions.
// Every optional field is treated as possibly absent: the hub may be older or newer than this file.
import type { DeviceKind } from '#devices/kinds/index.ts';
import { ALERT_STATES, SEVERITIES, type AlertState, type Severity } from '#devices/alerts.ts';

export { ALERT_STATES, SEVERITIES, type AlertState, type Severity };

/** A name in one language, or in both (the grid config allows either). */
export type LocalizedName = string | { zh: string; en: string };

/** Epoch ms (number) or ISO-8601 string; null/undefined when not yet happened. */
export type Time = number | string | null | undefined;

export interface AlertHistoryEntry {
  at?: Time;
  ts?: Time;
  action?: string;
  event?: string;
  type?: string;
  by?: string | null;
  actor?: string | null;
  note?: string | null;
  detail?: unknown;
  [extra: string]: unknown;
}

export interface Snapshot {
  url: string;
  cameraId?: string;
  takenAt?: Time;
}

export interface Alert {
  id: string;
  communityId: string;
  gridCellId: string | null;
  deviceId: string;
  kind: DeviceKind | string;
  type: string;
  severity: Severity;
  state: AlertState;
  title?: string | null;
  openedAt: Time;
  lastSeenAt?: Time;
  clearedAt?: Time;
  acknowledgedAt?: Time;
  acknowledgedBy?: string | null;
  resolvedAt?: Time;
  resolvedBy?: string | null;
  resolutionNote?: string | null;
  count?: number;
  assignee?: string | null;
  escalationLevel?: number;
  incidentId?: string | null;
  buildingId?: string | null;
  floor?: number | string | null;
  /** extension: when the next escalation happens while unacknowledged */
  ackDeadlineAt?: Time;
  history?: AlertHistoryEntry[];
  snapshots?: Snapshot[];
}

export interface Device {
  id: string;
  kind: DeviceKind | string;
  communityId: string;
  /** null for a device that announced itself without being provisioned into a cell */
  gridCellId: string | null;
  buildingId?: string | null;
  floor?: number | string | null;
  name?: LocalizedName | null;
  online: boolean;
  lastSeenAt?: Time;
  provisioned?: boolean;
  location?: { x: number; y: number } | null;
  /** Latest readings, when the hub includes them. */
  latest?: Record<string, unknown> | null;
}

export interface TelemetryPoint {
  ts: Time;
  value: number | boolean | string | null;
}
export interface TelemetrySeries {
  deviceId: string;
  field: string;
  points: TelemetryPoint[];
}

export interface DeviceEvent {
  ts?: Time;
  type?: string;
  detail?: Record<string, unknown> | null;
  [extra: string]: unknown;
}

export interface Rect {
  x?: number;
  y?: number;
  w?: number;
  h?: number;
}
export interface Building extends Rect {
  id: string;
  name?: LocalizedName | null;
  floors?: number;
  households?: number;
}
export interface GridCell extends Rect {
  id: string;
  name?: LocalizedName | null;
  /** the cell's rectangle on the community plan (config file: `area`) */
  area?: Rect | null;
  buildings?: Building[];
  supervisor?: unknown;
  workers?: unknown[];
}
export interface Community {
  id: string;
  name?: LocalizedName | null;
  plan?: { w: number; h: number } | null;
  households?: number;
  cells?: GridCell[];
}
export interface Worker {
  id?: string;
  username?: string;
  name?: LocalizedName | null;
  phone?: string | null;
  role?: string;
  cells?: string[];
}
export interface Grid {
  communities: Community[];
  workers?: Worker[];
}

export type Role = 'admin' | 'operator' | 'worker' | 'grid_worker' | 'viewer' | string;
export interface User {
  username: string;
  role: Role;
  cells?: string[];
  name?: LocalizedName | null;
  displayName?: string | null;
  workerId?: string | null;
  communities?: string[];
}

/** Key figures; every field optional because /api/stats may be missing or partial. */
export interface Stats {
  devicesTotal?: number;
  devicesOnline?: number;
  openBySeverity?: Partial<Record<Severity, number>>;
  mttaTodayS?: number | null;
  alertsPerCell?: Record<string, number>;
}

export type LiveMessage =
  | { type: 'alert'; alert: Alert }
  | { type: 'device'; device: Partial<Device> & { id: string } }
  | { type: 'hello'; serverTime?: number }
  | { type: string; [k: string]: unknown };
