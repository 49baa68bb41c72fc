import { Type, type Static } from '@sinclair/typebox';
import { Percent, eventSchema, telemetrySchema, type KindSpec } from './common.ts';

export const smokeEventTypes = ['alarm', 'alarm_cleared', 'tamper', 'fault', 'test'] as const;

export const smokeTelemetry = telemetrySchema({
  smoke_obscuration_pct_per_m: Percent,
  temperature_c: Type.Number({ minimum: -60, maximum: 300 }),
  battery_pct: Percent,
  rssi_dbm: Type.Number({ minimum: -150, maximum: 0 }),
});
export const smokeEvent = eventSchema(smokeEventTypes);

export type SmokeTelemetry = Static<typeof smokeTelemetry>;
export type SmokeEvent = Static<typeof smokeEvent>;

export const smoke = {
  kind: 'smoke',
  label: { zh: '烟感', en: 'Smoke sensor' },
  telemetry: smokeTelemetry,
  event: smokeEvent,
  eventTypes: smokeEventTypes,
  readings: ['smoke_obscuration_pct_per_m', 'temperature_c', 'battery_pct', 'rssi_dbm'],
  stringReadings: [],
  // Battery sensors report rarely to save power (NB-IoT style heartbeat).
  reportingPeriodS: 300,
  offlineSeverity: 'minor',
} satisfies KindSpec;
