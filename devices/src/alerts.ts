import { kindRegistrations, type DeviceKind, type KindAlertType } from './kinds/index.ts';

export const SEVERITIES = ['critical', 'major', 'minor', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const ALERT_STATES = ['open', 'acknowledged', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** Sort key: critical first. */
export const severityRank: Record<Severity, number> = { critical: 0, major: 1, minor: 2, info: 3 };

export interface AlertTypeSpec {
  /** The kind whose rule raises it; undefined for alerts any kind can raise. */
  kind?: DeviceKind;
  severity: Severity;
  label: { zh: string; en: string };
}

/** Alert types any kind can raise; each kind's own alert types are in its registration (kinds/). */
export const COMMON_ALERT_TYPES = {
  low_battery: { severity: 'minor', label: { zh: '电量低', en: 'Low battery' } },
  device_offline: { severity: 'major', label: { zh: '设备离线', en: 'Device offline' } },
} as const satisfies Record<string, AlertTypeSpec>;
export type CommonAlertType = keyof typeof COMMON_ALERT_TYPES;

export type AlertType = CommonAlertType | KindAlertType;

/**
 * Every alert type the hub raises, with its default severity and labels. The rules, the
 * dashboard and the simulators' ground truth all name alerts by these keys.
 */
export const ALERT_TYPES: Readonly<Record<AlertType, AlertTypeSpec>> = Object.freeze({
  ...COMMON_ALERT_TYPES,
  ...Object.fromEntries(
    kindRegistrations.flatMap((k) => Object.entries(k.alerts).map(([type, spec]) => [type, { kind: k.kind, ...(spec as Omit<AlertTypeSpec, 'kind'>) }])),
  ),
} as Record<AlertType, AlertTypeSpec>);

export function isAlertType(value: string): value is AlertType {
  return Object.hasOwn(ALERT_TYPES, value);
}

export type HistoryAction =
  | 'opened'
  | 'repeated'
  | 'cleared'
  | 'recurred'
  | 'grouped'
  | 'notified'
  | 'reminded'
  | 'escalated'
  | 'acknowledged'
  | 'assigned'
  | 'resolved'
  | 'webhook_delivered'
  | 'webhook_failed'
  | 'delivery_queued'
  | 'delivery_sent'
  | 'delivery_failed'
  | 'acknowledged_via'
  | 'snapshot';

export interface AlertHistoryEntry {
  at: number;
  action: HistoryAction;
  /** who did it: a username, or "system" */
  by: string;
  note?: string;
  /** recipients, level, webhook target, ... */
  detail?: Record<string, unknown>;
}

/** The contract's alert object (times are epoch ms), plus optional extensions. */
export interface Alert {
  id: string;
  communityId: string;
  gridCellId: string | null;
  deviceId: string;
  kind: DeviceKind;
  type: AlertType;
  severity: Severity;
  state: AlertState;
  title: string;
  openedAt: number;
  lastSeenAt: number;
  clearedAt: number | null;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  count: number;
  assignee: string | null;
  escalationLevel: number;
  incidentId: string | null;
  history: AlertHistoryEntry[];
  /** extension: where the device is, for people on foot */
  buildingId?: string | null;
  floor?: number | null;
  /** extension: when the next escalation happens while unacknowledged */
  ackDeadlineAt?: number | null;
  /** extension: how many of the device's own repeats, clears and snapshots were dropped from `history` (it keeps the latest) */
  historyOmitted?: number;
  /** extension: camera snapshots taken for this alert */
  snapshots?: { url: string; cameraId: string; takenAt: number }[];
}

export function alertTitle(type: AlertType, deviceLabel: string): string {
  const l = ALERT_TYPES[type].label;
  return `${l.zh} ${l.en} · ${deviceLabel}`;
}
