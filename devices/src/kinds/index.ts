import { camera } from './camera.ts';
import { electricalFire } from './electrical_fire.ts';
import { fireStation } from './fire_station.ts';
import { gas } from './gas.ts';
import { gate } from './gate.ts';
import { smoke } from './smoke.ts';
import type { KindSpec } from './common.ts';

/** Every kind the hub knows, one registration each; everything else about kinds derives from this list. */
export const kindRegistrations = [gate, fireStation, smoke, camera, gas, electricalFire] as const;
type Registration = (typeof kindRegistrations)[number];

export type DeviceKind = Registration['kind'];
export const KINDS = kindRegistrations.map((k) => k.kind) as unknown as readonly [DeviceKind, ...DeviceKind[]];

/** The registration of each kind, by kind id, in the shape every kind shares. */
export const kindSpecs = Object.fromEntries(kindRegistrations.map((k) => [k.kind, k as unknown as KindSpec])) as Record<DeviceKind, KindSpec>;

/** The alert types the kinds' rules raise (kind-independent ones are in alerts.ts). */
export type KindAlertType = { [R in Registration as R['kind']]: keyof R['alerts'] & string }[DeviceKind];

export function isDeviceKind(value: string): value is DeviceKind {
  return Object.hasOwn(kindSpecs, value);
}

export { camera } from './camera.ts';
export { electricalFire } from './electrical_fire.ts';
export { gas } from './gas.ts';
export { fireStation, inDutyHours } from './fire_station.ts';
export { gate } from './gate.ts';
export { smoke } from './smoke.ts';
export { OptionalNonNegativeNumber, type FieldSpec, type KindAlertSpec, type KindSignal, type KindSpec, type KindRuleInput, type Label } from './common.ts';
