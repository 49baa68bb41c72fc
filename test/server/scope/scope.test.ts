import { describe, expect, it } from 'vitest';
import type { Alert } from '#devices';
import type { Principal } from '../../../server/src/auth/roles.ts';
import type { RejectLog, RejectedMessage } from '../../../server/src/ingest/rejects.ts';
import type { Device } from '../../../server/src/registry/devices.ts';
import { actionableAlert, listAlerts, visibleAlert } from '../../../server/src/scope/alert-list.ts';
import { callerScope } from '../../../server/src/scope/caller-scope.ts';
import { listDevices, visibleDevice } from '../../../server/src/scope/device-list.ts';
import { rejectedFor } from '../../../server/src/scope/rejected.ts';

const principal = (over: Partial<Principal>): Principal => ({ username: 'u', role: 'operator', displayName: null, workerId: null, communities: null, cells: null, ...over });
const admin = callerScope(principal({ role: 'admin' }));
const op1 = callerScope(principal({ communities: new Set(['c1']) }));
const worker = callerScope(principal({ role: 'worker', cells: new Set(['g1']) }));
const viewer = callerScope(principal({ role: 'viewer', communities: new Set(['c1']) }));

describe('callerScope', () => {
  it('answers devices, alerts, communities and cells by community and cell', () => {
    const inG2 = { communityId: 'c1', gridCellId: 'g2' };
    expect([admin, op1, worker].map((s) => s.device(inG2))).toEqual([true, true, false]);
    expect([admin, op1, worker].map((s) => s.alert({ communityId: 'c2', gridCellId: 'g3' }))).toEqual([true, false, false]);
    expect(worker.community('c1', ['g1', 'g2'])).toBe(true);
    expect(worker.cell('g2')).toBe(false);
    expect(op1.cell('g2')).toBe(true);
    expect([admin, op1, worker].map((s) => s.unrestricted)).toEqual([true, false, false]);
  });

  it('workers never see communities whole; viewers may not change alerts; no caller sees nothing', () => {
    expect(op1.communitiesWhole(['c1'])).toBe(true);
    expect(op1.communitiesWhole(['c1', 'c2'])).toBe(false);
    expect(worker.communitiesWhole(['c1'])).toBe(false);
    expect([admin, op1, worker, viewer].map((s) => s.mayChangeAlerts)).toEqual([true, true, true, false]);
    const nobody = callerScope(null);
    expect([nobody.device({ communityId: 'c1', gridCellId: null }), nobody.unrestricted, nobody.mayChangeAlerts]).toEqual([false, false, false]);
  });
});

describe('listAlerts', () => {
  const a = (id: string, over: Partial<Alert>) => ({ id, severity: 'minor', state: 'open', communityId: 'c1', gridCellId: 'g1', deviceId: 'd', incidentId: null, openedAt: 0, ...over }) as Alert;
  const unresolved = [
    a('old-minor', { openedAt: 1 }),
    a('crit', { severity: 'critical', openedAt: 5 }),
    a('acked', { state: 'acknowledged', openedAt: 2 }),
    a('other', { communityId: 'c2', severity: 'critical' }),
  ];
  const listed: unknown[] = [];
  const alerts = { unresolved: () => unresolved, list: (f: unknown) => (listed.push(f), [a('resolved', { state: 'resolved' })]) };

  it('filters unresolved alerts in memory, within scope, most severe first then oldest', async () => {
    expect((await listAlerts(alerts, { state: 'unresolved' }, op1)).alerts.map((x) => x.id)).toEqual(['crit', 'old-minor', 'acked']);
    expect((await listAlerts(alerts, { state: 'open' }, op1)).alerts.map((x) => x.id)).toEqual(['crit', 'old-minor']);
    expect(await listAlerts(alerts, { state: 'unresolved', limit: 1 }, admin)).toMatchObject({ total: 4, alerts: [{ id: 'other' }] });
  });

  it('asks the repository for resolved or all alerts with the filter and limit', async () => {
    expect((await listAlerts(alerts, { state: 'resolved', communityId: 'c1', limit: 5 }, op1)).alerts.map((x) => x.id)).toEqual(['resolved']);
    expect(listed).toEqual([{ communityId: 'c1', state: 'resolved', limit: 5 }]);
  });
});

describe('listDevices / visibleDevice', () => {
  const devices = [
    { id: 'd1', communityId: 'c1', gridCellId: 'g1' },
    { id: 'd2', communityId: 'c1', gridCellId: 'g2' },
    { id: 'd3', communityId: 'c2', gridCellId: 'g3' },
  ] as Device[];
  const registry = { list: () => devices, get: (id: string) => devices.find((d) => d.id === id) };

  it('pages over what the caller may see, counting only that', () => {
    expect(listDevices(registry, { limit: 1, offset: 1 }, op1)).toEqual({ total: 2, devices: [devices[1]] });
    expect(listDevices(registry, {}, worker).devices.map((d) => d.id)).toEqual(['d1']);
  });

  it('is 404 for an unknown device and 403 outside the scope', () => {
    expect(visibleDevice(registry, 'd1', worker)).toBe(devices[0]);
    expect(() => visibleDevice(registry, 'd2', worker)).toThrow(expect.objectContaining({ statusCode: 403 }));
    expect(() => visibleDevice(registry, 'nope', admin)).toThrow(expect.objectContaining({ statusCode: 404 }));
  });
});

describe('rejectedFor', () => {
  const m = (topic: string, reason: RejectedMessage['reason']) => ({ topic, reason }) as RejectedMessage;
  const recent = [m('community/c1/smoke/s1/telemetry', 'not_json'), m('community/c2/smoke/x/telemetry', 'not_json'), m('community/c1/smoke', 'unknown_topic'), m('community/c2/smoke/s1/telemetry', 'invalid_payload')];
  const rejects = { recent: (n: number) => recent.slice(0, n), total: () => 99, counts: new Map([['not_json', 99]]) } as unknown as RejectLog;
  const registry = { get: (id: string) => (id === 's1' ? ({ id, communityId: 'c1' } as Device) : undefined) };

  it('gives the unrestricted the hub-wide log; a scoped operator its communities only, counted over those', () => {
    expect(rejectedFor(rejects, registry, 2, admin)).toEqual({ total: 99, byReason: { not_json: 99 }, recent: recent.slice(0, 2) });
    // The c1 device under c2's topic concerns both; a topic without a community concerns the unrestricted only.
    expect(rejectedFor(rejects, registry, 10, op1)).toEqual({ total: 1, byReason: { not_json: 1 }, recent: [recent[0]], scoped: true });
  });
});

describe('visibleAlert / actionableAlert', () => {
  const alert = { id: 'a1', communityId: 'c1', gridCellId: 'g2' } as Alert;
  const alerts = { get: (id: string) => (id === 'a1' ? alert : undefined) };

  it('is 404 unknown, 403 outside the scope, 403 to act for a role that only reads', () => {
    expect(visibleAlert(alerts, 'a1', viewer)).toBe(alert);
    expect(() => visibleAlert(alerts, 'nope', admin)).toThrow(expect.objectContaining({ statusCode: 404 }));
    expect(() => visibleAlert(alerts, 'a1', worker)).toThrow(expect.objectContaining({ statusCode: 403 }));
    expect(actionableAlert(alerts, 'a1', op1)).toBe(alert);
    expect(() => actionableAlert(alerts, 'a1', viewer)).toThrow(expect.objectContaining({ statusCode: 403, message: 'a viewer may not change alerts' }));
  });
});
