// Which camera picture the plan offers for an alerting device, one click away: the snapshots the
// hub attached to its alert, else a live picture from a camera in its building (or cell). Pure:
// the component gives the device's active alerts and the registry's cameras.
import { isActive } from './alerts.ts';
import { safeUrl } from './safe.ts';
import type { Alert, Device, LocalizedName } from './types.ts';

export interface PlanShot {
  url: string;
  cameraId: string;
  cameraName: LocalizedName | null;
  /** null for a live picture (taken when it loads) */
  takenAt: number | null;
}

export interface PlanCamera {
  deviceId: string;
  alertId: string | null;
  /** the alert's own snapshots, newest first */
  shots: PlanShot[];
  /** the hub's live picture of the covering camera, when a camera is near the device */
  live: string | null;
}

/** Cameras of the registry by where they are: building, else cell, else only their community. */
export interface CameraPlaces {
  byBuilding: Map<string, Device[]>;
  byCell: Map<string, Device[]>;
  /** cameras the registry knows no building or cell of: the config may still say what they cover */
  unplaced: Map<string, Device[]>;
  byId: Map<string, Device>;
}

const push = (m: Map<string, Device[]>, k: string, d: Device) => {
  const l = m.get(k);
  if (l) l.push(d);
  else m.set(k, [d]);
};

export function cameraPlaces(devices: readonly Device[]): CameraPlaces {
  const out: CameraPlaces = { byBuilding: new Map(), byCell: new Map(), unplaced: new Map(), byId: new Map() };
  for (const d of devices) {
    if (d.kind !== 'camera') continue;
    out.byId.set(d.id, d);
    if (d.buildingId) push(out.byBuilding, `${d.communityId}\u0000${d.buildingId}`, d);
    else if (d.gridCellId) push(out.byCell, `${d.communityId}\u0000${d.gridCellId}`, d);
    else push(out.unplaced, d.communityId, d);
  }
  return out;
}

/** Whether a camera is near enough to the device for the hub to have one covering it. */
function cameraNear(device: Device, places: CameraPlaces): boolean {
  if (device.buildingId && places.byBuilding.has(`${device.communityId}\u0000${device.buildingId}`)) return true;
  if (device.gridCellId && places.byCell.has(`${device.communityId}\u0000${device.gridCellId}`)) return true;
  return places.unplaced.has(device.communityId);
}

/**
 * The camera picture for an alerting device, or null when there is none to show. Of its active
 * alerts, the one with snapshots wins; a device that is a camera itself offers its own picture.
 */
export function planCamera(device: Device, alerts: readonly Alert[], places: CameraPlaces): PlanCamera | null {
  const active = alerts.filter((a) => a.deviceId === device.id && isActive(a));
  if (active.length === 0) return null;
  const withShots = active.find((a) => (a.snapshots?.length ?? 0) > 0);
  const alert = withShots ?? active[0]!;
  const shots: PlanShot[] = [];
  for (const s of [...(withShots?.snapshots ?? [])].sort((a, b) => b.takenAt - a.takenAt)) {
    const url = safeUrl(s.url);
    if (url) shots.push({ url, cameraId: s.cameraId, cameraName: places.byId.get(s.cameraId)?.name ?? null, takenAt: s.takenAt });
  }
  const live = device.kind === 'camera' || cameraNear(device, places) ? `/api/devices/${encodeURIComponent(device.id)}/camera-snapshot` : null;
  if (shots.length === 0 && !live) return null;
  return { deviceId: device.id, alertId: alert.id, shots, live };
}
