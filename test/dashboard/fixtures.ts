// Alert and device records as the hub sends them, with defaults, for the dashboard's pure-logic tests.
import type { Alert, Device } from '../../dashboard/src/lib/types.ts';

export function alert(p: Partial<Alert> & { id: string }): Alert {
  return {
    communityId: 'c1',
    gridCellId: 'g1',
    deviceId: 'd1',
    kind: 'smoke',
    type: 'fire_alarm',
    severity: 'major',
    state: 'open',
    title: 'alarm',
    openedAt: 1000,
    lastSeenAt: p.openedAt ?? 1000,
    clearedAt: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    count: 1,
    assignee: null,
    escalationLevel: 0,
    incidentId: null,
    history: [],
    ...p,
  };
}

export function device(p: Partial<Device> & Pick<Device, 'id' | 'kind'>): Device {
  return {
    communityId: 'c1',
    gridCellId: null,
    buildingId: null,
    floor: null,
    name: null,
    location: null,
    provisioned: true,
    online: false,
    lastSeenAt: null,
    firstSeenAt: 0,
    ...p,
  };
}
