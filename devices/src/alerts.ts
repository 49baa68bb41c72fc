import type { DeviceKind } from './kinds/index.ts';

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

/**
 * Every alert type the hub raises, with its default severity and labels. The rules, the
 * dashboard and the simulators' ground truth all name alerts by these keys.
 */
export const ALERT_TYPES = {
  fire_alarm: { kind: 'smoke', severity: 'critical', label: { zh: '火灾报警', en: 'Fire alarm' } },
  smoke_tamper: { kind: 'smoke', severity: 'major', label: { zh: '烟感被拆动', en: 'Smoke sensor tampered' } },
  smoke_fault: { kind: 'smoke', severity: 'major', label: { zh: '烟感故障', en: 'Smoke sensor fault' } },
  low_battery: { severity: 'minor', label: { zh: '电量低', en: 'Low battery' } },
  door_forced: { kind: 'gate', severity: 'critical', label: { zh: '门被强行打开', en: 'Door forced open' } },
  door_held_open: { kind: 'gate', severity: 'major', label: { zh: '门长时间未关', en: 'Door held open' } },
  tailgating: { kind: 'gate', severity: 'major', label: { zh: '尾随进入', en: 'Tailgating' } },
  access_denied_burst: { kind: 'gate', severity: 'major', label: { zh: '多次刷卡被拒', en: 'Repeated access denied' } },
  low_water_pressure: { kind: 'fire_station', severity: 'major', label: { zh: '消防水压不足', en: 'Low water pressure' } },
  extinguishers_missing: { kind: 'fire_station', severity: 'minor', label: { zh: '灭火器缺失', en: 'Extinguishers missing' } },
  cabinet_opened: { kind: 'fire_station', severity: 'major', label: { zh: '消防柜非演练打开', en: 'Cabinet opened outside a drill' } },
  nobody_on_duty: { kind: 'fire_station', severity: 'minor', label: { zh: '值班时段无人在岗', en: 'Nobody on duty' } },
  camera_tamper: { kind: 'camera', severity: 'major', label: { zh: '摄像机被遮挡或破坏', en: 'Camera tampered' } },
  video_loss: { kind: 'camera', severity: 'major', label: { zh: '视频丢失', en: 'Video loss' } },
  camera_unreachable: { kind: 'camera', severity: 'major', label: { zh: '摄像机无法访问', en: 'Camera unreachable' } },
  clock_drift: { kind: 'camera', severity: 'minor', label: { zh: '摄像机时钟偏差', en: 'Camera clock drift' } },
  intrusion_motion: { kind: 'camera', severity: 'info', label: { zh: '闯入后画面有移动', en: 'Motion after intrusion' } },
  device_offline: { severity: 'major', label: { zh: '设备离线', en: 'Device offline' } },
} as const satisfies Record<string, AlertTypeSpec>;

export type AlertType = keyof typeof ALERT_TYPES;

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
