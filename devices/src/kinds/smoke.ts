import { Type } from '@sinclair/typebox';
import { OptionalNonNegativeNumber as N, Percent, defineKind, type KindSignal } from './common.ts';

export const smoke = defineKind({
  kind: 'smoke',
  label: { zh: '烟感', en: 'Smoke sensor' },
  fields: {
    smoke_obscuration_pct_per_m: { schema: Percent, unit: '%/m', label: { zh: '烟雾遮光率', en: 'Smoke obscuration' }, rollup: 'mean' },
    temperature_c: { schema: Type.Number({ minimum: -60, maximum: 300 }), unit: '°C', label: { zh: '温度', en: 'Temperature' }, rollup: 'mean' },
    battery_pct: { schema: Percent, unit: '%', label: { zh: '电量', en: 'Battery' }, rollup: 'mean' },
    rssi_dbm: { schema: Type.Number({ minimum: -150, maximum: 0 }), unit: 'dBm', label: { zh: '信号', en: 'Signal' }, rollup: 'mean' },
  },
  events: {
    alarm: { zh: '火警', en: 'Fire alarm' },
    alarm_cleared: { zh: '火警解除', en: 'Alarm cleared' },
    tamper: { zh: '防拆', en: 'Tamper' },
    fault: { zh: '故障', en: 'Fault' },
    test: { zh: '测试', en: 'Test' },
  },
  alerts: {
    fire_alarm: { severity: 'critical', label: { zh: '火灾报警', en: 'Fire alarm' } },
    smoke_tamper: { severity: 'major', label: { zh: '烟感被拆动', en: 'Smoke sensor tampered' } },
    smoke_fault: { severity: 'major', label: { zh: '烟感故障', en: 'Smoke sensor fault' } },
  },
  thresholdsKey: 'smoke',
  thresholds: {
    /** obscuration at or above which a sensor counts as in alarm (%/m) */
    obscurationAlarmPctPerM: 10,
    lowBatteryPct: 20,
  },
  thresholdOverrides: Type.Object({ obscurationAlarmPctPerM: N(), lowBatteryPct: N() }),
  /** Alarm events and obscuration → fire alarm; tamper, fault, low battery. */
  rule: ({ msg, thresholds: t }) => {
    const out: KindSignal<'fire_alarm' | 'smoke_tamper' | 'smoke_fault' | 'low_battery'>[] = [];
    if (msg.channel === 'event') {
      if (msg.type === 'alarm') out.push({ type: 'fire_alarm', action: 'event' });
      else if (msg.type === 'alarm_cleared') out.push({ type: 'fire_alarm', action: 'clear' });
      else if (msg.type === 'tamper') out.push({ type: 'smoke_tamper', action: 'event' });
      else if (msg.type === 'fault') out.push({ type: 'smoke_fault', action: 'event' });
      return out;
    }
    const obscuration = msg.readings.smoke_obscuration_pct_per_m;
    // Readings raise the fire alarm but never clear it: only the sensor's alarm_cleared does.
    if (typeof obscuration === 'number' && obscuration >= t.obscurationAlarmPctPerM) {
      out.push({ type: 'fire_alarm', action: 'active', detail: { smoke_obscuration_pct_per_m: obscuration } });
    }
    const battery = msg.readings.battery_pct;
    if (typeof battery === 'number') {
      out.push({ type: 'low_battery', action: battery < t.lowBatteryPct ? 'active' : 'clear', detail: { battery_pct: battery } });
    }
    return out;
  },
  // Battery sensors report rarely to save power (NB-IoT style heartbeat).
  reportingPeriodS: 300,
  offlineSeverity: 'minor',
});
