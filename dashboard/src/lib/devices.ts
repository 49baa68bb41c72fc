// Pure device-list logic for the table: filtering and per-kind counts.
import type { Device, LocalizedName } from './types.ts';

/** Both languages of a name, for searching. */
function nameText(n: LocalizedName | null | undefined): string {
  if (!n) return '';
  return typeof n === 'string' ? n : `${n.zh ?? ''} ${n.en ?? ''}`;
}

export interface DeviceFilter {
  kind: string;
  state: '' | 'online' | 'offline' | 'alert' | string;
  cell: string;
  search: string;
}

export function filterDevices(devices: readonly Device[], f: DeviceFilter, alerting: Set<string>): Device[] {
  const q = f.search.trim().toLowerCase();
  if (!f.kind && !f.state && !f.cell && !q) return devices as Device[];
  const out: Device[] = [];
  for (const d of devices) {
    if (f.kind && d.kind !== f.kind) continue;
    if (f.cell && d.gridCellId !== f.cell) continue;
    if (f.state) {
      const inAlert = alerting.has(d.id);
      if (f.state === 'alert' && !inAlert) continue;
      if (f.state === 'online' && !d.online) continue;
      if (f.state === 'offline' && d.online) continue;
    }
    if (q && !d.id.toLowerCase().includes(q) && !nameText(d.name).toLowerCase().includes(q)) continue;
    out.push(d);
  }
  return out;
}

export function kindCounts(devices: readonly Device[]): Map<string, { online: number; offline: number }> {
  const m = new Map<string, { online: number; offline: number }>();
  for (const d of devices) {
    let c = m.get(d.kind);
    if (!c) m.set(d.kind, (c = { online: 0, offline: 0 }));
    if (d.online) c.online++;
    else c.offline++;
  }
  return m;
}

const STRUCTURAL: (keyof Device)[] = ['kind', 'communityId', 'gridCellId', 'buildingId', 'floor', 'name'];

/** Whether a device patch moves or renames the device (vs. a status change: online, lastSeenAt, readings). */
export function structuralChange(held: Device, patch: Partial<Device>): boolean {
  for (const k of STRUCTURAL) if (k in patch && patch[k] !== held[k]) return true;
  if ('location' in patch) {
    const a = held.location;
    const b = patch.location;
    if ((a?.x ?? null) !== (b?.x ?? null) || (a?.y ?? null) !== (b?.y ?? null)) return true;
  }
  return false;
}

/** Position of each device in the list, by id. */
export function indexDevices(list: readonly Device[]): Map<string, number> {
  const index = new Map<string, number>();
  list.forEach((d, i) => index.set(d.id, i));
  return index;
}

/**
 * Applies queued device updates. Status-only changes are patched into the held objects in place;
 * a new device or a structural change yields a new list (returned), so layouts derived from the
 * list are recomputed only then. `index` is kept current. Null when the list itself is unchanged.
 */
export function patchDevices(list: readonly Device[], index: Map<string, number>, patches: Iterable<[string, Device]>): Device[] | null {
  let next: Device[] | null = null;
  for (const [id, patch] of patches) {
    const i = index.get(id);
    if (i === undefined) {
      next ??= list.slice();
      index.set(id, next.length);
      next.push(patch);
      continue;
    }
    const held = (next ?? list)[i]!;
    if (structuralChange(held, patch)) {
      next ??= list.slice();
      next[i] = { ...held, ...patch };
    } else {
      Object.assign(held, patch);
    }
  }
  return next;
}
