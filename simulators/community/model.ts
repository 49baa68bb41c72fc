import type { DeviceKind } from '#devices';
import type { Name } from './names.ts';

/** Plan units are metres; the dashboard draws them as SVG units. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Where a device sits; scenario selectors use it ("a kitchen smoke sensor", "a compound entrance"). */
export type Place =
  | 'household'
  | 'lobby'
  | 'corridor'
  | 'basement'
  | 'service_centre'
  | 'entrance'
  | 'vehicle_entrance'
  | 'building_door'
  | 'garage'
  | 'lift'
  | 'perimeter'
  | 'fire_station'
  | 'charging_shed';

export interface SimBuilding extends Rect {
  id: string;
  /** 1-based number within the community, as on the building's plaque (1号楼). */
  number: number;
  name: Name;
  cellId: string;
  floors: number;
  households: number;
  unitsPerFloor: number;
}

export interface SimCell {
  id: string;
  name: Name;
  supervisor: string;
  workers: string[];
  area: Rect;
  buildings: SimBuilding[];
}

export interface SimCommunity {
  id: string;
  name: Name;
  households: number;
  plan: { w: number; h: number };
  cells: SimCell[];
  controlRoom: { lead: string };
}

export type WorkerRole = 'worker' | 'supervisor' | 'lead';

export interface SimWorker {
  id: string;
  name: string;
  phone: string;
  role: WorkerRole;
  cells: string[];
}

export interface SimDeviceSpec {
  id: string;
  kind: DeviceKind;
  communityId: string;
  gridCellId: string;
  buildingId?: string;
  floor?: number;
  place: Place;
  name: string;
  location: { x: number; y: number };
  /** Cameras: the gates, stations or buildings in view (the hub uses it for snapshots). */
  covers?: string[];
}

/** One or more communities with their people and devices: everything the hub is provisioned with. */
export interface District {
  seed: number;
  communities: SimCommunity[];
  workers: SimWorker[];
  devices: SimDeviceSpec[];
}
