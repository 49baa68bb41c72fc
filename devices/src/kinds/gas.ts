import { Type } from '@sinclair/typebox';
import { OptionalNonNegativeNumber as N, Percent, defineKind, type KindSignal } from './common.ts';

/**
 * Combustible gas detector (可燃气体探测器), e.g. in a household kitchen, often linked to a gas
 * shut-off valve. Thresholds follow GB 15322.1/.2-2019 (docs/devices.md#gas).
 */
export const gas = defineKind({
  kind: 'gas',
  label: { zh: '可燃气体探测器', en: 'Combustible gas detector' },
  fields: {
    lel_pct: { schema: Percent, unit: '%LEL', label: { zh: '可燃气体浓度', en: 'Gas concentration' }, rollup: 'mean' },
    battery_pct: { schema: Percent, unit: '%', label: { zh: '电量', en: 'Battery' }, rollup: 'mean' },
  },
  events: {
    alarm: { zh: '燃气报警', en: 'Gas alarm' },
    alarm_cleared: { zh: '燃气报警解除', en: 'Gas alarm cleared' },
    fault: { zh: '故障', en: 'Fault' },
    valve_closed: { zh: '切断阀已关闭', en: 'Shut-off valve closed' },
  },
  alerts: {
    gas_leak: { severity: 'critical', label: { zh: '可燃气体泄漏', en: 'Gas leak' } },
    gas_detector_fault: { severity: 'major', label: { zh: '燃气探测器故障', en: 'Gas detector fault' } },
    // The household is without gas until someone checks and reopens the valve.
    gas_valve_closed: { severity: 'major', label: { zh: '燃气切断阀关闭', en: 'Gas valve closed' } },
  },
  thresholdsKey: 'gas',
  thresholds: {
    /** alarm set point (%LEL); GB 15322 allows 5–25 %LEL for detectors measuring 0–100 %LEL */
    alarmLelPct: 20,
    lowBatteryPct: 20,
  },
  thresholdOverrides: Type.Object({ alarmLelPct: Type.Optional(Type.Number({ minimum: 1, maximum: 100 })), lowBatteryPct: N() }),
  /** Alarm events and concentration at the set point → gas leak; fault, valve closed, low battery. */
  rule: ({ msg, thresholds: t }) => {
    const out: KindSignal<'gas_leak' | 'gas_detector_fault' | 'gas_valve_closed' | 'low_battery'>[] = [];
    if (msg.channel === 'event') {
      if (msg.type === 'alarm') out.push({ type: 'gas_leak', action: 'event' });
      else if (msg.type === 'alarm_cleared') out.push({ type: 'gas_leak', action: 'clear' });
      else if (msg.type === 'fault') out.push({ type: 'gas_detector_fault', action: 'event' });
      else if (msg.type === 'valve_closed') out.push({ type: 'gas_valve_closed', action: 'event' });
      return out;
    }
    const lel = msg.readings.lel_pct;
    // Like a smoke alarm, a reading raises the leak but only the detector's alarm_cleared clears it.
    if (typeof lel === 'number' && lel >= t.alarmLelPct) out.push({ type: 'gas_leak', action: 'active', detail: { lel_pct: lel } });
    const battery = msg.readings.battery_pct;
    if (typeof battery === 'number') {
      out.push({ type: 'low_battery', action: battery < t.lowBatteryPct ? 'active' : 'clear', detail: { battery_pct: battery } });
    }
    return out;
  },
  reportingPeriodS: 300,
  // A silent gas detector leaves a kitchen unwatched.
  offlineSeverity: 'major',
});
