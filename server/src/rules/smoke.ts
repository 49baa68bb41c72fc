import type { KindRule, Signal } from './types.ts';

/** Smoke sensors: alarm events and obscuration → fire alarm; tamper, fault, low battery. */
export const smokeRule: KindRule = ({ msg, thresholds: t }) => {
  const out: Signal[] = [];
  if (msg.channel === 'event') {
    if (msg.type === 'alarm') out.push({ type: 'fire_alarm', action: 'event' });
    else if (msg.type === 'alarm_cleared') out.push({ type: 'fire_alarm', action: 'clear' });
    else if (msg.type === 'tamper') out.push({ type: 'smoke_tamper', action: 'event' });
    else if (msg.type === 'fault') out.push({ type: 'smoke_fault', action: 'event' });
    return out;
  }
  if (msg.channel !== 'telemetry') return out;
  const obscuration = msg.readings.smoke_obscuration_pct_per_m;
  // Readings raise the fire alarm but never clear it: only the sensor's alarm_cleared does.
  if (typeof obscuration === 'number' && obscuration >= t.smoke.obscurationAlarmPctPerM) {
    out.push({ type: 'fire_alarm', action: 'active', detail: { smoke_obscuration_pct_per_m: obscuration } });
  }
  const battery = msg.readings.battery_pct;
  if (typeof battery === 'number') {
    out.push({ type: 'low_battery', action: battery < t.smoke.lowBatteryPct ? 'active' : 'clear', detail: { battery_pct: battery } });
  }
  return out;
};
