import { round, type SimBehaviour } from './types.ts';

/** Kitchen gas detectors: clean air reads 0–2 %LEL (the alarm set point is 20); batteries drain slowly. */
export const gasBehaviour: SimBehaviour = {
  tag: 'gas',
  fleetShare: 0.002,
  telemetry(rng, s) {
    s.battery = Math.max(40, (s.battery ?? 90) - rng() * 0.001);
    return { lel_pct: round(rng() * 2, 1), battery_pct: round(s.battery, 1) };
  },
  routineEvents: [],
};
