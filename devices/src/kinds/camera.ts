import { Type, type Static } from '@sinclair/typebox';
import { eventSchema, telemetrySchema, type KindSpec } from './common.ts';

export const cameraEventTypes = ['motion', 'tamper', 'video_loss', 'video_restored', 'line_crossing'] as const;

export const cameraTelemetry = telemetrySchema({
  reachable: Type.Boolean(),
  fps: Type.Number({ minimum: 0, maximum: 1000 }),
  bitrate_kbps: Type.Number({ minimum: 0, maximum: 10_000_000 }),
  clock_drift_s: Type.Number({ minimum: -1e9, maximum: 1e9 }),
});
export const cameraEvent = eventSchema(cameraEventTypes);

export type CameraTelemetry = Static<typeof cameraTelemetry>;
export type CameraEvent = Static<typeof cameraEvent>;

export const camera = {
  kind: 'camera',
  label: { zh: '摄像机', en: 'Camera' },
  telemetry: cameraTelemetry,
  event: cameraEvent,
  eventTypes: cameraEventTypes,
  readings: ['reachable', 'fps', 'bitrate_kbps', 'clock_drift_s'],
  stringReadings: [],
  // The ONVIF bridge polls health on this period.
  reportingPeriodS: 60,
  offlineSeverity: 'major',
} satisfies KindSpec;
