import type { Alert } from '#devices';
import type { Device } from '../registry/devices.ts';
import { keyFigures, type FigureScope, type KeyFigureSources, type KeyFigures } from './key-figures.ts';

export interface CommunityFigures extends Omit<KeyFigures, 'alerts'> {
  communityId: string;
  alerts: Omit<KeyFigures['alerts'], 'perCell'>;
}

/**
 * GET /api/stats/communities: the key figures of each community the caller sees, for a
 * sub-district (街道) overview. One pass splits devices and alerts by community; each community's
 * figures are then the same computation as /api/stats over its part.
 */
export function communityFigures(src: KeyFigureSources, scope: FigureScope, now: number, communityIds: readonly string[]): CommunityFigures[] {
  const devices = new Map<string, Device[]>();
  const unresolved = new Map<string, Alert[]>();
  const add = <T>(m: Map<string, T[]>, k: string, v: T) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  for (const d of src.devices) if (scope.device(d)) add(devices, d.communityId, d);
  for (const a of src.unresolved) if (scope.alert(a)) add(unresolved, a.communityId, a);
  const ids = [...new Set([...communityIds, ...devices.keys(), ...unresolved.keys()])];
  // one store query for the day's alerts, split once, not one query per community
  const opened = new Map<number, Map<string, Alert[]>>();
  const openedSince = (since: number, communityId: string): readonly Alert[] => {
    let split = opened.get(since);
    if (!split) {
      split = new Map();
      for (const a of src.openedSince(since)) add(split, a.communityId, a);
      opened.set(since, split);
    }
    return split.get(communityId) ?? [];
  };
  return ids.map((communityId) => {
    const part: KeyFigureSources = {
      devices: devices.get(communityId) ?? [],
      unresolved: unresolved.get(communityId) ?? [],
      openedSince: (since) => openedSince(since, communityId),
    };
    const { alerts, ...rest } = keyFigures(part, scope, now);
    const { perCell: _perCell, ...byState } = alerts;
    return { communityId, ...rest, alerts: byState };
  });
}
