import type { Severity } from '#devices';
import type { DeliveryConfig } from '../../grid/config-file.ts';
import type { Person } from '../../grid/model.ts';
import type { PersonChannelName } from './transport.ts';

type Level = Partial<Record<Person['role'], PersonChannelName[]>>;

const EVERYDAY: PersonChannelName[] = ['webpush', 'wecom', 'dingtalk'];
/** Every role on the everyday channels at every level; SMS from level 1 and a call from level 2 for critical alerts. */
export const DEFAULT_LADDER: readonly Level[] = [{ worker: EVERYDAY, supervisor: EVERYDAY, lead: EVERYDAY }];
export const DEFAULT_CRITICAL = { smsAtLevel: 1, voiceAtLevel: 2 } as const;

/**
 * The escalation ladder's channels: which channels a person of a role hears an alert on at an
 * escalation level. The alert service decides who (the cell's workers, then the supervisor, then
 * the control-room lead); the ladder decides how.
 */
export class DeliveryLadder {
  private readonly levels: readonly Level[];
  private readonly critical: { smsAtLevel?: number; voiceAtLevel?: number };

  constructor(config: DeliveryConfig = {}) {
    this.levels = config.ladder ?? DEFAULT_LADDER;
    this.critical = config.critical ?? DEFAULT_CRITICAL;
  }

  channels(level: number, role: Person['role'], severity: Severity): PersonChannelName[] {
    const step = this.levels[Math.min(level, this.levels.length - 1)]!;
    const out = new Set(step[role] ?? []);
    if (severity === 'critical') {
      if (this.critical.smsAtLevel !== undefined && level >= this.critical.smsAtLevel) out.add('sms');
      if (this.critical.voiceAtLevel !== undefined && level >= this.critical.voiceAtLevel) out.add('voice');
    }
    return [...out];
  }
}
