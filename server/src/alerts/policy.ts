import type { Severity } from '#devices';
import type { EscalationConfig, IncidentRuleConfig } from '../grid/config-file.ts';

/** Acknowledgement deadlines and reminder intervals per severity, in seconds. */
export interface EscalationPolicy {
  ackDeadlineS: Record<Severity, number | null>;
  reminderIntervalS: Record<Severity, number | null>;
  /** the last level: 1 = cell supervisor, 2 = control-room lead */
  maxLevel: number;
}

export const DEFAULT_ESCALATION: EscalationPolicy = {
  ackDeadlineS: { critical: 120, major: 600, minor: 3600, info: null },
  reminderIntervalS: { critical: 60, major: 300, minor: 1800, info: null },
  maxLevel: 2,
};

export function escalationPolicy(config: EscalationConfig | undefined): EscalationPolicy {
  return {
    ackDeadlineS: { ...DEFAULT_ESCALATION.ackDeadlineS, ...config?.ackDeadlineS },
    reminderIntervalS: { ...DEFAULT_ESCALATION.reminderIntervalS, ...config?.reminderIntervalS },
    maxLevel: DEFAULT_ESCALATION.maxLevel,
  };
}

/** Alerts that belong to one incident: same scope, within the window of the incident's first alert. */
export const DEFAULT_INCIDENT_RULES: IncidentRuleConfig[] = [
  { name: 'fire', types: ['fire_alarm'], scope: 'building', windowS: 600 },
  { name: 'intrusion', types: ['door_forced', 'tailgating', 'intrusion_motion'], scope: 'building', windowS: 300 },
  { name: 'outage', types: ['device_offline', 'camera_unreachable', 'video_loss'], scope: 'cell', windowS: 300 },
];
