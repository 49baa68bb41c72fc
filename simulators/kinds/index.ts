import type { DeviceKind } from '#devices';
import { electricalFireBehaviour } from './electrical_fire.ts';
import { gasBehaviour } from './gas.ts';
import type { SimBehaviour } from './types.ts';

/** Kinds whose simulation lives in one file each (the original four are in simulators/src/readings.ts and community/telemetry.ts). */
export const simBehaviours: Partial<Record<DeviceKind, SimBehaviour>> = {
  gas: gasBehaviour,
  electrical_fire: electricalFireBehaviour,
};

export function simBehaviour(kind: DeviceKind): SimBehaviour {
  const b = simBehaviours[kind];
  if (!b) throw new Error(`no simulator behaviour for kind ${kind}`);
  return b;
}
export type { SimBehaviour } from './types.ts';
