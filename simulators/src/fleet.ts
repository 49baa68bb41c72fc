import type { DeviceKind } from '#devices';
import { simBehaviours } from '../kinds/index.ts';
import { createRng } from './rng.ts';

export interface SimDevice {
  id: string;
  kind: DeviceKind;
  communityId: string;
  gridCellId: string;
  seq: number;
  /** Per-device state that drifts over time (battery, pressure, counters). */
  state: Record<string, number>;
}

/**
 * Shares of a community's devices by kind: a smoke sensor per household dominates; gates at
 * entrances and building doors, ~150 cameras and a micro fire station or two per ~2,500 households
 * (see ../shared/DOMAIN.md).
 */
export const KIND_SHARES: Record<DeviceKind, number> = {
  smoke: 0.9,
  gate: 0.04,
  camera: 0.0595,
  fire_station: 0.0005,
  // Each kind simulated in simulators/kinds/ brings its share; smoke gives way to them.
  ...Object.fromEntries(Object.entries(simBehaviours).map(([k, b]) => [k, b.fleetShare])),
} as Record<DeviceKind, number>;
KIND_SHARES.smoke -= Object.values(simBehaviours).reduce((sum, b) => sum + b.fleetShare, 0);

export interface FleetOptions {
  devices: number;
  communities?: number;
  cellsPerCommunity?: number;
  seed?: number;
  idPrefix?: string;
}

/** A deterministic fleet of devices spread over communities and grid cells. */
export function buildFleet(o: FleetOptions): SimDevice[] {
  const rng = createRng(o.seed ?? 1);
  const communities = Math.max(1, o.communities ?? 1);
  const cells = Math.max(1, o.cellsPerCommunity ?? 8);
  const prefix = o.idPrefix ?? 'sim';
  const out: SimDevice[] = [];
  const kinds = Object.entries(KIND_SHARES) as [DeviceKind, number][];
  for (let i = 0; i < o.devices; i++) {
    // Always include every kind when there are at least four devices.
    let kind: DeviceKind;
    if (i < kinds.length && o.devices >= kinds.length) kind = kinds[i]![0];
    else {
      let r = rng();
      kind = 'smoke';
      for (const [k, share] of kinds) {
        if (r < share) {
          kind = k;
          break;
        }
        r -= share;
      }
    }
    const community = i % communities;
    out.push({
      id: `${prefix}-${kind.replace('_', '')}-${i}`,
      kind,
      communityId: `c${community + 1}`,
      gridCellId: `c${community + 1}-g${(Math.floor(i / communities) % cells) + 1}`,
      seq: 0,
      state: { battery: 60 + rng() * 40, passes: Math.floor(rng() * 10000), pressure: 0.3 + rng() * 0.1 },
    });
  }
  return out;
}
