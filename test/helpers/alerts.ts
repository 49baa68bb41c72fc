import type Database from 'better-sqlite3';
import { memoryStateDb } from './state-db.ts';
import { AlertRepository } from '../../server/src/alerts/repository.ts';
import { AlertService } from '../../server/src/alerts/service.ts';
import { DEFAULT_INCIDENT_RULES, escalationPolicy } from '../../server/src/alerts/policy.ts';
import { parseHubConfig, type HubConfigFile } from '../../server/src/grid/config-file.ts';
import { GridModel } from '../../server/src/grid/model.ts';
import { createLogger } from '../../server/src/log.ts';
import { DeviceRegistry } from '../../server/src/registry/devices.ts';

/** A small grid: one community, two cells, three buildings, workers, a supervisor and a lead. */
export const SAMPLE_CONFIG: HubConfigFile = parseHubConfig({
  communities: [
    {
      id: 'c1',
      name: { zh: '阳光社区', en: 'Sunshine' },
      controlRoom: { lead: 'lead1' },
      cells: [
        { id: 'g1', supervisor: 'sup1', workers: ['w1'], buildings: [{ id: 'b1' }, { id: 'b2' }] },
        { id: 'g2', supervisor: 'sup2', workers: ['w2'], buildings: [{ id: 'b3' }] },
      ],
    },
  ],
  workers: [
    { id: 'w1', name: '张伟', phone: '13800000001', role: 'worker', cells: ['g1'] },
    { id: 'w2', name: '李娜', phone: '13800000002', role: 'worker', cells: ['g2'] },
    { id: 'sup1', name: '王强', phone: '13800000003', role: 'supervisor', cells: ['g1'] },
    { id: 'sup2', name: '赵敏', phone: '13800000004', role: 'supervisor', cells: ['g2'] },
    { id: 'lead1', name: '陈主任', phone: '13800000005', role: 'lead' },
  ],
  devices: [
    { id: 's1', kind: 'smoke', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1', floor: 3 },
    { id: 's2', kind: 'smoke', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1', floor: 5 },
    { id: 's3', kind: 'smoke', communityId: 'c1', gridCellId: 'g1', buildingId: 'b2', floor: 1 },
    { id: 's4', kind: 'smoke', communityId: 'c1', gridCellId: 'g2', buildingId: 'b3', floor: 2 },
    { id: 'gate1', kind: 'gate', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1' },
    { id: 'cam1', kind: 'camera', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1', covers: ['gate1'] },
    { id: 'fs1', kind: 'fire_station', communityId: 'c1', gridCellId: 'g2', buildingId: 'b3' },
  ],
});

export interface AlertFixture {
  db: Database.Database;
  registry: DeviceRegistry;
  grid: GridModel;
  alerts: AlertService;
  clock: { now: number };
  /** A service over the same database, as after a hub restart. */
  restart(): AlertService;
}

export function alertFixture(config: HubConfigFile = SAMPLE_CONFIG, db = memoryStateDb()): AlertFixture {
  const clock = { now: Date.UTC(2026, 10, 23, 2, 0, 0) };
  const registry = new DeviceRegistry(db);
  registry.start();
  for (const d of config.devices ?? []) registry.provision(d);
  const grid = new GridModel(config);
  const make = () => {
    const s = new AlertService({
      repo: new AlertRepository(db),
      grid,
      registry,
      clock: () => clock.now,
      log: createLogger('silent'),
      escalation: escalationPolicy(config.escalation),
      incidentRules: config.incidents ?? DEFAULT_INCIDENT_RULES,
    });
    s.start();
    return s;
  };
  const alerts = make();
  return { db, registry, grid, alerts, clock, restart: make };
}
