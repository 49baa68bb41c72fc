import type { Alert } from '#devices';
import { placeText, type PlaceNames } from '#devices/place.ts';
import type { GridModel } from '../../grid/model.ts';
import type { DeviceRegistry } from '../../registry/devices.ts';

/** Where an alert's device is, by name, in both languages: what every message to a person says. */
export function alertPlace(grid: GridModel, registry: Pick<DeviceRegistry, 'get'>, alert: Alert): { zh: string; en: string } {
  const names: PlaceNames = {
    community: grid.community(alert.communityId)?.name ?? alert.communityId,
    cell: alert.gridCellId ? (grid.cell(alert.gridCellId)?.name ?? alert.gridCellId) : null,
    building: alert.buildingId ? (grid.building(alert.buildingId)?.building.name ?? alert.buildingId) : null,
    floor: alert.floor ?? null,
    device: registry.get(alert.deviceId)?.name ?? alert.deviceId,
  };
  return { zh: placeText('zh', names, { wide: true }), en: placeText('en', names, { wide: true }) };
}
