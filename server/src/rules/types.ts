import type { AlertType, KindSignal } from '#devices';
import type { DeviceMessage } from '../events.ts';
import type { Thresholds } from './thresholds.ts';

/** What a rule concludes from one message (see KindSignal in devices/src/kinds/common.ts). */
export type Signal = KindSignal<AlertType>;

/** Per-device memory a rule keeps between messages (door open since, recent denials, drill window). */
export type DeviceRuleState = Record<string, unknown>;

export interface RuleInput {
  msg: DeviceMessage;
  thresholds: Thresholds;
  state: DeviceRuleState;
  now: number;
}

export type KindRule = (input: RuleInput) => Signal[];
