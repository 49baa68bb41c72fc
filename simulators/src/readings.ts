import type { DeviceKind } from '#devices';
import { simBehaviour, simBehaviours } from '../kinds/index.ts';
import { pick } from './rng.ts';
import type { SimDevice } from './fleet.ts';

type Body = Record<string, unknown>;

/** Believable periodic telemetry for one device; advances its drifting state. */
export function telemetryFor(d: SimDevice, rng: () => number, now: number): Body {
  const s = d.state;
  switch (d.kind) {
    case 'smoke':
      s.battery = Math.max(0, (s.battery ?? 90) - rng() * 0.001);
      return {
        smoke_obscuration_pct_per_m: round(rng() * 0.4, 3),
        temperature_c: round(20 + rng() * 6, 1),
        battery_pct: round(s.battery!, 2),
        rssi_dbm: Math.round(-60 - rng() * 35),
      };
    case 'gate': {
      // Traffic follows the time of day: busy mornings and evenings, quiet nights.
      const hour = new Date(now).getHours();
      const busy = hour >= 7 && hour <= 9 ? 1 : hour >= 17 && hour <= 20 ? 0.8 : hour >= 23 || hour <= 5 ? 0.05 : 0.4;
      s.passes = (s.passes ?? 0) + (rng() < busy ? 1 + Math.floor(rng() * 3) : 0);
      // A door opens only for a moment; routine reports see it closed (an open door in consecutive reports is an incident).
      return { door: 'closed', locked: rng() > busy * 0.2, passes_total: s.passes, battery_pct: 100 };
    }
    case 'fire_station':
      s.pressure = clamp((s.pressure ?? 0.35) + (rng() - 0.5) * 0.005, 0.25, 0.45);
      return { water_pressure_mpa: round(s.pressure!, 3), extinguishers_ok: 12, extinguishers_total: 12, cabinet_door: 'closed', staff_on_duty: 2 };
    case 'camera':
      return { reachable: true, fps: 25, bitrate_kbps: Math.round(2000 + rng() * 2000), clock_drift_s: round((rng() - 0.5) * 0.4, 3) };
    default:
      return simBehaviour(d.kind).telemetry(rng, s);
  }
}

/** Everyday, harmless events (no incidents): passes at gates, motion in front of cameras, self-tests. */
const ROUTINE_EVENTS: Partial<Record<DeviceKind, readonly string[]>> = {
  smoke: ['test'],
  gate: ['access_granted'],
  fire_station: ['equipment_checked_out', 'equipment_returned'],
  camera: ['motion', 'line_crossing'],
  ...Object.fromEntries(Object.entries(simBehaviours).filter(([, b]) => b.routineEvents.length).map(([k, b]) => [k, b.routineEvents])),
};

export function routineEventFor(d: SimDevice, rng: () => number): Body {
  const type = pick(rng, ROUTINE_EVENTS[d.kind] ?? []);
  return type === 'access_granted' ? { type, direction: rng() < 0.5 ? 'in' : 'out' } : { type };
}

/** Kinds with no harmless event (every gas or electrical fire event means trouble) send telemetry instead. */
export const hasRoutineEvents = (kind: DeviceKind) => (ROUTINE_EVENTS[kind]?.length ?? 0) > 0;

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
