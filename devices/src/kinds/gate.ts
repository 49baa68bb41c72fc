import { Type, type Static } from '@sinclair/typebox';
import { DoorState, Percent, eventSchema, telemetrySchema, type KindSpec } from './common.ts';

export const gateEventTypes = [
  'access_granted',
  'access_denied',
  'door_forced',
  'door_held_open',
  'tailgating',
] as const;

export const gateTelemetry = telemetrySchema({
  door: DoorState,
  locked: Type.Boolean(),
  passes_total: Type.Integer({ minimum: 0 }),
  battery_pct: Percent,
});
export const gateEvent = eventSchema(gateEventTypes);

export type GateTelemetry = Static<typeof gateTelemetry>;
export type GateEvent = Static<typeof gateEvent>;

export const gate = {
  kind: 'gate',
  label: { zh: '门禁', en: 'Access gate' },
  telemetry: gateTelemetry,
  event: gateEvent,
  eventTypes: gateEventTypes,
  readings: ['door', 'locked', 'passes_total', 'battery_pct'],
  stringReadings: ['door'],
  reportingPeriodS: 60,
  offlineSeverity: 'major',
} satisfies KindSpec;
