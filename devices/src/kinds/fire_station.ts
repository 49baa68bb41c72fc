import { Type } from '@sinclair/typebox';
import { DoorState, OptionalNonNegativeNumber as N, defineKind, type KindSignal } from './common.ts';

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

const count = (max: number) => Type.Integer({ minimum: 0, maximum: max });

export const fireStation = defineKind({
  kind: 'fire_station',
  label: { zh: '微型消防站', en: 'Micro fire station' },
  fields: {
    water_pressure_mpa: { schema: Type.Number({ minimum: 0, maximum: 10 }), unit: 'MPa', label: { zh: '水压', en: 'Water pressure' }, rollup: 'mean' },
    extinguishers_ok: { schema: count(10000), label: { zh: '灭火器完好', en: 'Extinguishers OK' }, rollup: 'mean' },
    extinguishers_total: { schema: count(10000), label: { zh: '灭火器总数', en: 'Extinguishers total' }, rollup: 'mean' },
    cabinet_door: { schema: DoorState, label: { zh: '消防柜门', en: 'Cabinet door' }, rollup: 'none' },
    staff_on_duty: { schema: count(1000), label: { zh: '值守人数', en: 'Staff on duty' }, rollup: 'mean' },
  },
  events: {
    cabinet_opened: { zh: '消防柜开启', en: 'Cabinet opened' },
    equipment_checked_out: { zh: '器材取出', en: 'Equipment checked out' },
    equipment_returned: { zh: '器材归还', en: 'Equipment returned' },
    pressure_low: { zh: '水压不足', en: 'Water pressure low' },
    drill_started: { zh: '开始演练', en: 'Drill started' },
  },
  alerts: {
    low_water_pressure: { severity: 'major', label: { zh: '消防水压不足', en: 'Low water pressure' } },
    extinguishers_missing: { severity: 'minor', label: { zh: '灭火器缺失', en: 'Extinguishers missing' } },
    cabinet_opened: { severity: 'major', label: { zh: '消防柜非演练打开', en: 'Cabinet opened outside a drill' } },
    nobody_on_duty: { severity: 'minor', label: { zh: '值班时段无人在岗', en: 'Nobody on duty' } },
  },
  // Written `fireStation` in config files since the first release.
  thresholdsKey: 'fireStation',
  thresholds: {
    minWaterPressureMpa: 0.15,
    /** how long a drill_started event excuses an open cabinet */
    drillWindowS: 1800,
    dutyStartHour: 8,
    dutyEndHour: 22,
    timeZone: 'Asia/Shanghai',
  },
  thresholdOverrides: Type.Object({
    minWaterPressureMpa: N(),
    drillWindowS: N(),
    dutyStartHour: Type.Optional(Type.Integer({ minimum: 0, maximum: 24 })),
    dutyEndHour: Type.Optional(Type.Integer({ minimum: 0, maximum: 24 })),
    timeZone: Type.Optional(Type.String()),
  }),
  /** Water pressure, extinguishers, cabinet opened outside a drill, staffing. */
  rule: ({ msg, thresholds: f, state, now }) => {
    const s = state as StationState;
    const inDrill = () => s.drillUntil !== undefined && now < s.drillUntil;
    const out: KindSignal<'low_water_pressure' | 'extinguishers_missing' | 'cabinet_opened' | 'nobody_on_duty'>[] = [];
    if (msg.channel === 'event') {
      if (msg.type === 'drill_started') {
        s.drillUntil = now + f.drillWindowS * 1000;
        out.push({ type: 'cabinet_opened', action: 'clear' });
      } else if (msg.type === 'cabinet_opened' && !inDrill()) out.push({ type: 'cabinet_opened', action: 'event' });
      else if (msg.type === 'pressure_low') out.push({ type: 'low_water_pressure', action: 'active' });
      return out;
    }
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
  },
  reportingPeriodS: 60,
  offlineSeverity: 'major',
});
