import type { CameraConfig } from './types.ts';

export interface CoverageTarget {
  deviceId: string;
  buildingId?: string;
  gridCellId?: string;
}

/**
 * Cameras that can show a device, best first: those whose `coverage` names the device, else those covering
 * its building (by `coverage` or their own `buildingId`), else those in the same grid cell.
 */
export function camerasCovering(cameras: readonly CameraConfig[], target: CoverageTarget): CameraConfig[] {
  const byDevice = cameras.filter((c) => c.coverage?.includes(target.deviceId));
  if (byDevice.length) return byDevice;
  const b = target.buildingId;
  if (b) {
    const byBuilding = cameras.filter((c) => c.coverage?.includes(b) || c.buildingId === b);
    if (byBuilding.length) return byBuilding;
  }
  const cell = target.gridCellId;
  return cell ? cameras.filter((c) => c.gridCellId === cell) : [];
}
