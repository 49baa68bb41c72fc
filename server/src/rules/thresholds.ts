import { Type } from '@sinclair/typebox';
import { kindRegistrations, OptionalNonNegativeNumber } from '#devices';

type Registration = (typeof kindRegistrations)[number];
type KindThresholds = { [R in Registration as R['thresholdsKey']]: R['thresholds'] };

/**
 * Rule thresholds: each kind's defaults (from its registration in devices/src/kinds/), under the
 * kind's thresholds key, plus the offline rule's. A community may override any of them under
 * `communities[].thresholds` in the config file (docs/alerts.md lists them).
 */
export type Thresholds = KindThresholds & {
  /** silence longer than this many reporting periods means offline */
  offlineAfterPeriods: number;
};

export const DEFAULT_THRESHOLDS: Thresholds = {
  ...(Object.fromEntries(kindRegistrations.map((k) => [k.thresholdsKey, k.thresholds])) as KindThresholds),
  offlineAfterPeriods: 3,
};

export const ThresholdOverrides = Type.Object(
  {
    ...Object.fromEntries(kindRegistrations.map((k) => [k.thresholdsKey, Type.Optional(k.thresholdOverrides)])),
    offlineAfterPeriods: OptionalNonNegativeNumber(),
  },
  { additionalProperties: false },
);
export type ThresholdOverrides = { [K in keyof KindThresholds]?: Partial<KindThresholds[K]> } & { offlineAfterPeriods?: number };

export function mergeThresholds(overrides: ThresholdOverrides | undefined): Thresholds {
  const o = (overrides ?? {}) as Record<string, object | number | undefined>;
  const merged: Record<string, unknown> = { offlineAfterPeriods: o.offlineAfterPeriods ?? DEFAULT_THRESHOLDS.offlineAfterPeriods };
  for (const k of kindRegistrations) merged[k.thresholdsKey] = { ...k.thresholds, ...(o[k.thresholdsKey] as object | undefined) };
  return merged as Thresholds;
}
