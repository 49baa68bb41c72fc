import type { DeviceKind } from '#devices';
import { simBehaviour } from '../kinds/index.ts';
import { createRng } from '../src/rng.ts';
import { shanghaiHour } from './clock.ts';
import type { SimDeviceSpec } from './model.ts';

type Body = Record<string, unknown>;

/**
 * One device's drifting state. Every value stays well inside the hub's default alert thresholds:
 * routine traffic must never raise an alert, or the scenario's ground truth would be wrong.
 */
export interface DeviceState {
  rng: () => number;
  seq: number;
  battery: number;
  rssiBase: number;
  passes: number;
  pressure: number;
  drift: number;
  /** Scenario ms of the last report, for drain and traffic since then. */
  lastAt: number | undefined;
  /** Real ms of the last access_denied, so routine denials never look like a burst. */
  lastDeniedAt: number;
  /** Drifting values of the kinds simulated in simulators/kinds/. */
  extra: Record<string, number>;
}

export function initialState(spec: SimDeviceSpec, seed: number, index: number): DeviceState {
  const rng = createRng((Math.imul(seed >>> 0, 0x2c1b3c6d) ^ Math.imul(index + 1, 0x297a2d39)) >>> 0);
  return {
    rng,
    seq: 0,
    // Batteries from nearly new to about half; the hub's low-battery line is 20 %.
    battery: spec.kind === 'smoke' ? 45 + rng() * 55 : 92 + rng() * 8,
    rssiBase: -62 - rng() * 30,
    passes: Math.floor(rng() * 50_000),
    pressure: 0.3 + rng() * 0.1,
    drift: (rng() - 0.5) * 0.6,
    lastAt: undefined,
    lastDeniedAt: -Infinity,
    extra: {},
  };
}

// People through a main entrance per hour of day (Asia/Shanghai): commuting peaks, quiet nights.
const TRAFFIC_PER_HOUR = [5, 3, 2, 2, 3, 10, 40, 150, 200, 120, 80, 90, 100, 80, 70, 70, 90, 160, 200, 150, 110, 80, 50, 20];
const PLACE_TRAFFIC: Partial<Record<SimDeviceSpec['place'], number>> = { entrance: 1, vehicle_entrance: 0.5, garage: 0.4, building_door: 0.3 };
// Smoke sensors drain about 12 %/year on NB-IoT heartbeats.
const SMOKE_DRAIN_PER_S = 12 / (365 * 86_400);

export function trafficPerHour(spec: SimDeviceSpec, scenarioNow: number): number {
  return TRAFFIC_PER_HOUR[Math.floor(shanghaiHour(scenarioNow))]! * (PLACE_TRAFFIC[spec.place] ?? 0.2);
}

export interface Report {
  telemetry: Body;
  /** Routine events that go with this report (passes at a gate, motion in front of a camera). */
  events: Body[];
}

/** The next periodic report of a device at scenario time `scenarioNow` (real time `realNow`). */
export function routineReport(spec: SimDeviceSpec, s: DeviceState, scenarioNow: number, realNow: number): Report {
  const rng = s.rng;
  const dtS = s.lastAt === undefined ? 0 : Math.max(0, (scenarioNow - s.lastAt) / 1000);
  s.lastAt = scenarioNow;
  const hour = shanghaiHour(scenarioNow);
  const events: Body[] = [];
  const kind: DeviceKind = spec.kind;
  switch (kind) {
    case 'smoke': {
      s.battery = Math.max(30, s.battery - dtS * SMOKE_DRAIN_PER_S);
      const cooking = spec.place === 'household' && ((hour >= 11 && hour < 13) || (hour >= 17 && hour < 20));
      return {
        telemetry: {
          // Clean air reads a few hundredths of %/m; kitchens a little more while cooking.
          smoke_obscuration_pct_per_m: round(rng() * (cooking ? 0.8 : 0.3), 2),
          temperature_c: round((spec.floor !== undefined && spec.floor < 0 ? 17 : 22) + rng() * 3 + (cooking ? 3 : 0), 1),
          battery_pct: round(s.battery, 1),
          rssi_dbm: Math.round(clamp(s.rssiBase + (rng() - 0.5) * 8, -115, -40)),
        },
        events,
      };
    }
    case 'gate': {
      const expected = (trafficPerHour(spec, scenarioNow) * dtS) / 3600;
      const passes = poisson(rng, expected);
      s.passes += passes;
      s.battery = Math.max(90, s.battery - dtS * 1e-6);
      // A handful of the passes become events; the counter carries the rest.
      for (let i = 0; i < Math.min(passes, 3); i++) events.push({ type: 'access_granted', direction: rng() < 0.5 ? 'in' : 'out', credential_hash: credential(rng) });
      // Now and then a wrong card; never more than one per gate in 20 s, far from the burst rule (5 in 60 s).
      if (passes > 0 && rng() < 0.03 && realNow - s.lastDeniedAt > 20_000) {
        s.lastDeniedAt = realNow;
        events.push({ type: 'access_denied', credential_hash: credential(rng) });
      }
      // Doors are open only for a moment; a report sees them closed and locked.
      return { telemetry: { door: 'closed', locked: true, passes_total: s.passes, battery_pct: round(s.battery, 1) }, events };
    }
    case 'fire_station': {
      s.pressure = clamp(s.pressure + (rng() - 0.5) * 0.01, 0.26, 0.44);
      const dayShift = hour >= 8 && hour < 22;
      return {
        telemetry: {
          water_pressure_mpa: round(s.pressure, 3),
          extinguishers_ok: 12,
          extinguishers_total: 12,
          cabinet_door: 'closed',
          // Staffed around the clock: a day shift and one volunteer on call at night.
          staff_on_duty: dayShift ? 2 + Math.floor(rng() * 2) : 1,
        },
        events,
      };
    }
    case 'camera': {
      s.drift = clamp(s.drift + (rng() - 0.5) * 0.05, -0.8, 0.8);
      const busy = TRAFFIC_PER_HOUR[Math.floor(hour)]! / 200;
      // Motion only from cameras that watch no gate or building: motion near a forced door is an
      // intrusion to the hub, and routine traffic must not invent one.
      if (!spec.covers && !spec.buildingId && rng() < 0.05 + busy * 0.3) events.push({ type: rng() < 0.8 ? 'motion' : 'line_crossing' });
      return {
        telemetry: { reachable: true, fps: 25, bitrate_kbps: Math.round(1800 + busy * 1500 + rng() * 600), clock_drift_s: round(s.drift, 3) },
        events,
      };
    }
    default:
      return { telemetry: simBehaviour(kind).telemetry(rng, s.extra), events };
  }
}

function poisson(rng: () => number, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * (rng() + rng() + rng() - 1.5) * 2));
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rng();
  } while (p > l);
  return k - 1;
}

const credential = (rng: () => number) => Math.floor(rng() * 0xffffffff).toString(16).padStart(8, '0');
const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
