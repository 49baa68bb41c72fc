import { Type, type Static } from '@sinclair/typebox';
import { DoorState, eventSchema, telemetrySchema, type KindSpec } from './common.ts';

export const fireStationEventTypes = [
  'cabinet_opened',
  'equipment_checked_out',
  'equipment_returned',
  'pressure_low',
  'drill_started',
] as const;

export const fireStationTelemetry = telemetrySchema({
  water_pressure_mpa: Type.Number({ minimum: 0, maximum: 10 }),
  extinguishers_ok: Type.Integer({ minimum: 0, maximum: 10000 }),
  extinguishers_total: Type.Integer({ minimum: 0, maximum: 10000 }),
  cabinet_door: DoorState,
  staff_on_duty: Type.Integer({ minimum: 0, maximum: 1000 }),
});
export const fireStationEvent = eventSchema(fireStationEventTypes);

export type FireStationTelemetry = Static<typeof fireStationTelemetry>;
export type FireStationEvent = Static<typeof fireStationEvent>;

export const fireStation = {
  kind: 'fire_station',
  label: { zh: '微型消防站', en: 'Micro fire station' },
  telemetry: fireStationTelemetry,
  event: fireStationEvent,
  eventTypes: fireStationEventTypes,
  readings: ['water_pressure_mpa', 'extinguishers_ok', 'extinguishers_total', 'cabinet_door', 'staff_on_duty'],
  stringReadings: ['cabinet_door'],
  reportingPeriodS: 60,
  offlineSeverity: 'major',
} satisfies KindSpec;
