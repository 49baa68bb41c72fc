import { Type } from '@sinclair/typebox';
import { defineKind, type KindSignal } from './common.ts';

/**
 * Electrical fire monitoring detector (电气火灾监控探测器), residual current and cable temperature,
 * typically on the circuits of an e-bike charging shed. Thresholds follow GB 14287.2/.3-2014
 * (docs/devices.md#electrical_fire).
 */
export const electricalFire = defineKind({
  kind: 'electrical_fire',
  label: { zh: '电气火灾监控探测器', en: 'Electrical fire detector' },
  fields: {
    residual_current_ma: { schema: Type.Number({ minimum: 0, maximum: 10_000 }), unit: 'mA', label: { zh: '剩余电流', en: 'Residual current' }, rollup: 'mean' },
    cable_temperature_c: { schema: Type.Number({ minimum: -40, maximum: 300 }), unit: '°C', label: { zh: '线缆温度', en: 'Cable temperature' }, rollup: 'mean' },
    load_current_a: { schema: Type.Number({ minimum: 0, maximum: 2000 }), unit: 'A', label: { zh: '负载电流', en: 'Load current' }, rollup: 'mean' },
  },
  events: {
    leakage_alarm: { zh: '剩余电流报警', en: 'Leakage alarm' },
    over_temperature: { zh: '线缆超温', en: 'Cable over temperature' },
    fault: { zh: '故障', en: 'Fault' },
  },
  alerts: {
    electrical_leakage: { severity: 'major', label: { zh: '剩余电流超限', en: 'Electrical leakage' } },
    // An overheating cable among charging e-bikes is a fire about to start.
    cable_over_temperature: { severity: 'critical', label: { zh: '线缆温度过高', en: 'Cable over temperature' } },
    electrical_fire_fault: { severity: 'major', label: { zh: '电气火灾探测器故障', en: 'Electrical fire detector fault' } },
  },
  thresholdsKey: 'electricalFire',
  thresholds: {
    /** residual current alarm set value (mA); GB 14287.2 allows 20–1000 mA, 300 mA is the usual setting */
    residualCurrentAlarmMa: 300,
    /** cable temperature alarm set value (°C); GB 14287.3 allows 55–140 °C */
    cableTemperatureAlarmC: 80,
  },
  thresholdOverrides: Type.Object({
    residualCurrentAlarmMa: Type.Optional(Type.Number({ minimum: 20, maximum: 1000 })),
    cableTemperatureAlarmC: Type.Optional(Type.Number({ minimum: 55, maximum: 140 })),
  }),
  /** Leakage and over-temperature from events and from readings at the set values; fault. */
  rule: ({ msg, thresholds: t }) => {
    const out: KindSignal<'electrical_leakage' | 'cable_over_temperature' | 'electrical_fire_fault'>[] = [];
    if (msg.channel === 'event') {
      if (msg.type === 'leakage_alarm') out.push({ type: 'electrical_leakage', action: 'event' });
      else if (msg.type === 'over_temperature') out.push({ type: 'cable_over_temperature', action: 'event' });
      else if (msg.type === 'fault') out.push({ type: 'electrical_fire_fault', action: 'event' });
      return out;
    }
    const r = msg.readings;
    if (typeof r.residual_current_ma === 'number') {
      out.push({ type: 'electrical_leakage', action: r.residual_current_ma >= t.residualCurrentAlarmMa ? 'active' : 'clear', detail: { residual_current_ma: r.residual_current_ma } });
    }
    if (typeof r.cable_temperature_c === 'number') {
      out.push({ type: 'cable_over_temperature', action: r.cable_temperature_c >= t.cableTemperatureAlarmC ? 'active' : 'clear', detail: { cable_temperature_c: r.cable_temperature_c } });
    }
    return out;
  },
  reportingPeriodS: 60,
  offlineSeverity: 'major',
});
