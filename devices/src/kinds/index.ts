import { camera } from './camera.ts';
import { fireStation } from './fire_station.ts';
import { gate } from './gate.ts';
import { smoke } from './smoke.ts';
import type { KindSpec } from './common.ts';

export const KINDS = ['gate', 'fire_station', 'smoke', 'camera'] as const;
export type DeviceKind = (typeof KINDS)[number];

export const kindSpecs: Record<DeviceKind, KindSpec> = {
  gate,
  fire_station: fireStation,
  smoke,
  camera,
};

export function isDeviceKind(value: string): value is DeviceKind {
  return (KINDS as readonly string[]).includes(value);
}

export * from './camera.ts';
export * from './fire_station.ts';
export * from './gate.ts';
export * from './smoke.ts';
export { type KindSpec } from './common.ts';
