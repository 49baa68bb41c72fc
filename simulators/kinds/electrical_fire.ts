import { round, type SimBehaviour } from './types.ts';

/**
 * A charging shed's electrical fire detector: a few tens of mA of residual current (alarm at 300),
 * cables a little above ambient (alarm at 80 °C), load from a handful of chargers.
 */
export const electricalFireBehaviour: SimBehaviour = {
  tag: 'efire',
  fleetShare: 0.001,
  telemetry(rng, s) {
    s.load = Math.min(60, Math.max(2, (s.load ?? 15) + (rng() - 0.5) * 4));
    return {
      residual_current_ma: round(20 + rng() * 40, 1),
      cable_temperature_c: round(25 + s.load * 0.3 + rng() * 3, 1),
      load_current_a: round(s.load, 1),
    };
  },
  routineEvents: [],
};
