import type { AlertType } from '#devices';
import type { DeviceMessage } from '../events.ts';
import type { Thresholds } from './thresholds.ts';

/**
 * What a rule concludes from one message:
 * - `event`: a discrete occurrence; repeats while the alert is open raise its count
 * - `active`: a level condition holds; only the transition into it opens or repeats an alert
 * - `clear`: the condition went away (sets clearedAt; a person still acknowledges and resolves)
 */
export interface Signal {
  type: AlertType;
  action: 'event' | 'active' | 'clear';
  detail?: Record<string, unknown>;
}

/** Per-device memory a rule keeps between messages (door open since, recent denials, drill window). */
export type DeviceRuleState = Record<string, unknown>;

export interface RuleInput {
  msg: DeviceMessage;
  thresholds: Thresholds;
  state: DeviceRuleState;
  now: number;
}

export type KindRule = (input: RuleInput) => Signal[];
