import { describe, expect, it } from 'vitest';
import type { DeviceKind, Readings } from '#devices';
import type { DeviceMessage } from '../../server/src/events.ts';
import { kindRules } from '../../server/src/rules/index.ts';
import { DEFAULT_THRESHOLDS, mergeThresholds } from '../../server/src/rules/thresholds.ts';
import type { DeviceRuleState, Signal } from '../../server/src/rules/types.ts';
import { inDutyHours } from '#devices';

// 2026-11-23 10:00 in Shanghai (02:00 UTC): inside default duty hours.
const DAY = Date.UTC(2026, 10, 23, 2, 0, 0);
// 2026-11-23 23:30 in Shanghai: outside duty hours.
const NIGHT = Date.UTC(2026, 10, 23, 15, 30, 0);

function run(kind: DeviceKind, msgs: Partial<DeviceMessage>[], opts: { now?: number; state?: DeviceRuleState } = {}): Signal[] {
  const state = opts.state ?? {};
  const out: Signal[] = [];
  for (const m of msgs) {
    const now = (m.ts as number | undefined) ?? opts.now ?? DAY;
    const msg = { deviceId: 'd1', kind, communityId: 'c1', gridCellId: 'g1', receivedAt: now, ts: now, seq: 1, readings: {}, detail: {}, ...m } as DeviceMessage;
    out.push(...kindRules[kind]({ msg, thresholds: DEFAULT_THRESHOLDS, state, now }));
  }
  return out;
}
const tel = (readings: Readings, ts?: number) => ({ channel: 'telemetry' as const, readings, ...(ts ? { ts } : {}) });
const evt = (type: string, ts?: number) => ({ channel: 'event' as const, type, ...(ts ? { ts } : {}) });
const raised = (signals: Signal[]) => signals.filter((s) => s.action !== 'clear').map((s) => `${s.type}:${s.action}`);
const cleared = (signals: Signal[]) => signals.filter((s) => s.action === 'clear').map((s) => s.type);

describe('smoke rule', () => {
  it('alarm event → fire alarm; alarm_cleared clears it', () => {
    expect(raised(run('smoke', [evt('alarm')]))).toEqual(['fire_alarm:event']);
    expect(cleared(run('smoke', [evt('alarm_cleared')]))).toEqual(['fire_alarm']);
  });
  it('obscuration at the threshold raises; just below stays silent; readings never clear', () => {
    expect(raised(run('smoke', [tel({ smoke_obscuration_pct_per_m: 10 })]))).toEqual(['fire_alarm:active']);
    expect(raised(run('smoke', [tel({ smoke_obscuration_pct_per_m: 9.99 })]))).toEqual([]);
    expect(cleared(run('smoke', [tel({ smoke_obscuration_pct_per_m: 0.1 })]))).toEqual([]);
  });
  it('tamper and fault → major alerts', () => {
    expect(raised(run('smoke', [evt('tamper'), evt('fault'), evt('test')]))).toEqual(['smoke_tamper:event', 'smoke_fault:event']);
  });
  it('battery under 20% raises; 20% clears', () => {
    expect(raised(run('smoke', [tel({ battery_pct: 19.9 })]))).toEqual(['low_battery:active']);
    expect(raised(run('smoke', [tel({ battery_pct: 20 })]))).toEqual([]);
    expect(cleared(run('smoke', [tel({ battery_pct: 20 })]))).toEqual(['low_battery']);
  });
});

describe('gate rule', () => {
  it('door_forced → critical event; tailgating → event', () => {
    expect(raised(run('gate', [evt('door_forced'), evt('tailgating'), evt('tamper'), evt('access_granted')]))).toEqual(['door_forced:event', 'tailgating:event', 'gate_tamper:event']);
  });
  it('door open for the threshold raises, just under stays silent, closing clears', () => {
    const t0 = DAY;
    expect(raised(run('gate', [tel({ door: 'open' }, t0), tel({ door: 'open' }, t0 + 119_999)]))).toEqual([]);
    const state = {};
    expect(raised(run('gate', [tel({ door: 'open' }, t0), tel({ door: 'open' }, t0 + 120_000)], { state }))).toEqual(['door_held_open:active']);
    expect(cleared(run('gate', [tel({ door: 'closed' }, t0 + 130_000)], { state }))).toContain('door_held_open');
    expect(raised(run('gate', [evt('door_held_open')]))).toEqual(['door_held_open:active']);
  });
  it('5 access_denied within a minute raise; 4, or 5 spread over more than a minute, do not', () => {
    const four = [0, 1, 2, 3].map((i) => evt('access_denied', DAY + i * 1000));
    expect(raised(run('gate', four))).toEqual([]);
    const five = [0, 1, 2, 3, 4].map((i) => evt('access_denied', DAY + i * 1000));
    expect(raised(run('gate', five))).toEqual(['access_denied_burst:event']);
    const spread = [0, 1, 2, 3, 4].map((i) => evt('access_denied', DAY + i * 15_001));
    expect(raised(run('gate', spread))).toEqual([]);
  });
});

describe('fire station rule', () => {
  it('pressure under the threshold raises; at it clears', () => {
    expect(raised(run('fire_station', [tel({ water_pressure_mpa: 0.149 })]))).toEqual(['low_water_pressure:active']);
    expect(raised(run('fire_station', [tel({ water_pressure_mpa: 0.15 })]))).toEqual([]);
  });
  it('missing extinguishers raise a minor alert', () => {
    expect(raised(run('fire_station', [tel({ extinguishers_ok: 11, extinguishers_total: 12 })]))).toEqual(['extinguishers_missing:active']);
    expect(raised(run('fire_station', [tel({ extinguishers_ok: 12, extinguishers_total: 12 })]))).toEqual([]);
  });
  it('cabinet opened outside a drill raises; inside a drill does not', () => {
    expect(raised(run('fire_station', [evt('cabinet_opened')]))).toEqual(['cabinet_opened:event']);
    expect(raised(run('fire_station', [tel({ cabinet_door: 'open' })]))).toEqual(['cabinet_opened:active']);
    expect(raised(run('fire_station', [evt('drill_started', DAY), evt('cabinet_opened', DAY + 60_000), tel({ cabinet_door: 'open' }, DAY + 61_000)]))).toEqual([]);
    // The drill window ends after 30 minutes.
    expect(raised(run('fire_station', [evt('drill_started', DAY), evt('cabinet_opened', DAY + 1_800_001)]))).toEqual(['cabinet_opened:event']);
  });
  it('nobody on duty raises only in duty hours', () => {
    expect(raised(run('fire_station', [tel({ staff_on_duty: 0 }, DAY)]))).toEqual(['nobody_on_duty:active']);
    expect(raised(run('fire_station', [tel({ staff_on_duty: 0 }, NIGHT)]))).toEqual([]);
    expect(raised(run('fire_station', [tel({ staff_on_duty: 1 }, DAY)]))).toEqual([]);
    expect(inDutyHours(Date.UTC(2026, 10, 23, 0, 0), 8, 22, 'Asia/Shanghai')).toBe(true); // 08:00 local
    expect(inDutyHours(Date.UTC(2026, 10, 22, 23, 59), 8, 22, 'Asia/Shanghai')).toBe(false); // 07:59 local
  });
});

describe('camera rule', () => {
  it('tamper and video loss raise; video_restored clears', () => {
    expect(raised(run('camera', [evt('tamper'), evt('video_loss'), evt('motion')]))).toEqual(['camera_tamper:event', 'video_loss:active']);
    expect(cleared(run('camera', [evt('video_restored')]))).toEqual(['video_loss']);
  });
  it('unreachable raises, reachable clears', () => {
    expect(raised(run('camera', [tel({ reachable: false })]))).toEqual(['camera_unreachable:active']);
    expect(cleared(run('camera', [tel({ reachable: true })]))).toEqual(['camera_unreachable']);
  });
  it('clock drift over 5 s raises; exactly 5 s does not', () => {
    expect(raised(run('camera', [tel({ clock_drift_s: -5.01 })]))).toEqual(['clock_drift:active']);
    expect(raised(run('camera', [tel({ clock_drift_s: 5 })]))).toEqual([]);
  });
});

describe('thresholds', () => {
  it('a community overrides some thresholds and keeps the other defaults', () => {
    const t = mergeThresholds({ smoke: { obscurationAlarmPctPerM: 4 }, fireStation: { dutyStartHour: 0, dutyEndHour: 24 } });
    expect(t.smoke).toEqual({ obscurationAlarmPctPerM: 4, lowBatteryPct: 20 });
    expect(t.fireStation.minWaterPressureMpa).toBe(0.15);
    expect(t.fireStation.dutyEndHour).toBe(24);
  });
});

describe('gas rule (GB 15322 set point)', () => {
  it('alarm event and %LEL at the set point → gas leak; alarm_cleared clears it; fault, valve, battery', () => {
    expect(raised(run('gas', [evt('alarm')]))).toEqual(['gas_leak:event']);
    expect(cleared(run('gas', [evt('alarm_cleared')]))).toEqual(['gas_leak']);
    expect(raised(run('gas', [tel({ lel_pct: DEFAULT_THRESHOLDS.gas.alarmLelPct })]))).toEqual(['gas_leak:active']);
    expect(raised(run('gas', [tel({ lel_pct: 19.9 })]))).toEqual([]);
    expect(cleared(run('gas', [tel({ lel_pct: 0 })]))).toEqual([]);
    expect(raised(run('gas', [evt('fault'), evt('valve_closed')]))).toEqual(['gas_detector_fault:event', 'gas_valve_closed:event']);
    expect(raised(run('gas', [tel({ battery_pct: 10 })]))).toEqual(['low_battery:active']);
  });
  it('a community may lower the set point', () => {
    expect(mergeThresholds({ gas: { alarmLelPct: 10 } }).gas).toEqual({ alarmLelPct: 10, lowBatteryPct: 20 });
  });
});

describe('electrical fire rule (GB 14287 set values)', () => {
  it('residual current and cable temperature at their set values raise, below clear; events; fault', () => {
    expect(DEFAULT_THRESHOLDS.electricalFire).toEqual({ residualCurrentAlarmMa: 300, cableTemperatureAlarmC: 80 });
    expect(raised(run('electrical_fire', [tel({ residual_current_ma: 300, cable_temperature_c: 80, load_current_a: 40 })]))).toEqual(['electrical_leakage:active', 'cable_over_temperature:active']);
    expect(cleared(run('electrical_fire', [tel({ residual_current_ma: 40, cable_temperature_c: 35 })]))).toEqual(['electrical_leakage', 'cable_over_temperature']);
    expect(raised(run('electrical_fire', [evt('leakage_alarm'), evt('over_temperature'), evt('fault')]))).toEqual([
      'electrical_leakage:event',
      'cable_over_temperature:event',
      'electrical_fire_fault:event',
    ]);
  });
});
