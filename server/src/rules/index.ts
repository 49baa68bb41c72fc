import type { DeviceKind } from '#devices';
import { cameraRule } from './camera.ts';
import { fireStationRule } from './fire-station.ts';
import { gateRule } from './gate.ts';
import { smokeRule } from './smoke.ts';
import type { KindRule } from './types.ts';

/** The built-in rule of each kind. */
export const kindRules: Record<DeviceKind, KindRule> = {
  smoke: smokeRule,
  gate: gateRule,
  fire_station: fireStationRule,
  camera: cameraRule,
};
