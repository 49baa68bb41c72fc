import { AuthErrors } from '../auth/errors.ts';
import { Errors } from '../errors.ts';
import type { Device, DeviceFilter, DeviceRegistry } from '../registry/devices.ts';
import type { CallerScope } from './caller-scope.ts';

/** GET /api/devices: the registered devices matching the filter that the caller may see, one page of them. */
export function listDevices(registry: Pick<DeviceRegistry, 'list'>, query: DeviceFilter & { limit?: number; offset?: number }, scope: CallerScope): { total: number; devices: Device[] } {
  const { limit = 200_000, offset = 0, ...filter } = query;
  const all = registry.list(filter).filter((d) => scope.device(d));
  return { total: all.length, devices: all.slice(offset, offset + limit) };
}

/** One device the caller may see: 404 when unknown, 403 outside its scope. */
export function visibleDevice(registry: Pick<DeviceRegistry, 'get'>, id: string, scope: CallerScope): Device {
  const device = registry.get(id);
  if (!device) throw new Errors.DeviceNotFound(id);
  if (!scope.device(device)) throw new AuthErrors.Forbidden(`device ${id} is outside your communities or cells`);
  return device;
}
