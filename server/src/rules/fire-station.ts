import type { KindRule, Signal } from './types.ts';

interface StationState {
  drillUntil?: number;
}

/** The local hour in the station's time zone (duty hours are local, the hub may run in UTC). */
function localHour(at: number, timeZone: string): number {
  const h = new Intl.DateTimeFormat('en-GB', { hour: 'numeric', hourCycle: 'h23', timeZone }).format(at);
  return Number(h);
}

export function inDutyHours(at: number, start: number, end: number, timeZone: string): boolean {
  const h = localHour(at, timeZone);
  return start <= end ? h >= start && h < end : h >= start || h < end;
}

/** Micro fire stations: water pressure, extinguishers, cabinet opened outside a drill, staffing. */
export const fireStationRule: KindRule = ({ msg, thresholds: t, state, now }) => {
  const s = state as StationState;
  const f = t.fireStation;
  const inDrill = () => s.drillUntil !== undefined && now < s.drillUntil;
  const out: Signal[] = [];
  if (msg.channel === 'event') {
    if (msg.type === 'drill_started') {
      s.drillUntil = now + f.drillWindowS * 1000;
      out.push({ type: 'cabinet_opened', action: 'clear' });
    } else if (msg.type === 'cabinet_opened' && !inDrill()) out.push({ type: 'cabinet_opened', action: 'event' });
    else if (msg.type === 'pressure_low') out.push({ type: 'low_water_pressure', action: 'active' });
    return out;
  }
  if (msg.channel !== 'telemetry') return out;
  const r = msg.readings;
  if (typeof r.water_pressure_mpa === 'number') {
    out.push({ type: 'low_water_pressure', action: r.water_pressure_mpa < f.minWaterPressureMpa ? 'active' : 'clear', detail: { water_pressure_mpa: r.water_pressure_mpa } });
  }
  if (typeof r.extinguishers_ok === 'number' && typeof r.extinguishers_total === 'number') {
    const missing = r.extinguishers_total - r.extinguishers_ok;
    out.push({ type: 'extinguishers_missing', action: missing > 0 ? 'active' : 'clear', detail: { missing } });
  }
  if (r.cabinet_door === 'open' && !inDrill()) out.push({ type: 'cabinet_opened', action: 'active' });
  else if (r.cabinet_door === 'closed') out.push({ type: 'cabinet_opened', action: 'clear' });
  if (typeof r.staff_on_duty === 'number') {
    const unstaffed = r.staff_on_duty === 0 && inDutyHours(msg.ts, f.dutyStartHour, f.dutyEndHour, f.timeZone);
    out.push({ type: 'nobody_on_duty', action: unstaffed ? 'active' : 'clear' });
  }
  return out;
};
