import { Type, type Static } from '@sinclair/typebox';

/**
 * Rule thresholds. The defaults below apply everywhere; a community may override any of them
 * under `communities[].thresholds` in the config file (docs/alerts.md lists them).
 */
export const DEFAULT_THRESHOLDS = {
  smoke: {
    /** obscuration at or above which a sensor counts as in alarm (%/m) */
    obscurationAlarmPctPerM: 10,
    lowBatteryPct: 20,
  },
  gate: {
    doorHeldOpenS: 120,
    accessDeniedCount: 5,
    accessDeniedWindowS: 60,
    lowBatteryPct: 20,
  },
  fireStation: {
    minWaterPressureMpa: 0.15,
    /** how long a drill_started event excuses an open cabinet */
    drillWindowS: 1800,
    dutyStartHour: 8,
    dutyEndHour: 22,
    timeZone: 'Asia/Shanghai',
  },
  camera: {
    maxClockDriftS: 5,
  },
  /** silence longer than this many reporting periods means offline */
  offlineAfterPeriods: 3,
};
export type Thresholds = typeof DEFAULT_THRESHOLDS;

const N = () => Type.Optional(Type.Number({ minimum: 0 }));
export const ThresholdOverrides = Type.Object(
  {
    smoke: Type.Optional(Type.Object({ obscurationAlarmPctPerM: N(), lowBatteryPct: N() })),
    gate: Type.Optional(Type.Object({ doorHeldOpenS: N(), accessDeniedCount: N(), accessDeniedWindowS: N(), lowBatteryPct: N() })),
    fireStation: Type.Optional(
      Type.Object({
        minWaterPressureMpa: N(),
        drillWindowS: N(),
        dutyStartHour: Type.Optional(Type.Integer({ minimum: 0, maximum: 24 })),
        dutyEndHour: Type.Optional(Type.Integer({ minimum: 0, maximum: 24 })),
        timeZone: Type.Optional(Type.String()),
      }),
    ),
    camera: Type.Optional(Type.Object({ maxClockDriftS: N() })),
    offlineAfterPeriods: N(),
  },
  { additionalProperties: false },
);
export type ThresholdOverrides = Static<typeof ThresholdOverrides>;

export function mergeThresholds(overrides: ThresholdOverrides | undefined): Thresholds {
  const o = overrides ?? {};
  return {
    smoke: { ...DEFAULT_THRESHOLDS.smoke, ...o.smoke },
    gate: { ...DEFAULT_THRESHOLDS.gate, ...o.gate },
    fireStation: { ...DEFAULT_THRESHOLDS.fireStation, ...o.fireStation },
    camera: { ...DEFAULT_THRESHOLDS.camera, ...o.camera },
    offlineAfterPeriods: o.offlineAfterPeriods ?? DEFAULT_THRESHOLDS.offlineAfterPeriods,
  } as Thresholds;
}
