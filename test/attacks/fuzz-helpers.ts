import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import type { Hub } from '../../server/src/hub.ts';
import { parseHubConfig } from '../../server/src/grid/config-file.ts';
import { adminSession, createUser, login, type HubSession } from '../helpers/auth.ts';
import { waitFor } from '../helpers/ports.ts';

/**
 * Two communities (c1 with cells g1, g2; c2 with g3), a worker per cell, and one device per cell:
 * enough for scope tests and for the fuzzer to hit routes with real ids.
 */
export const SCOPE_CONFIG = parseHubConfig({
  communities: [
    {
      id: 'c1',
      controlRoom: { lead: 'lead1' },
      cells: [
        { id: 'g1', supervisor: 'sup1', workers: ['w1'], buildings: [{ id: 'b1' }] },
        { id: 'g2', workers: ['w2'], buildings: [{ id: 'b2' }] },
      ],
    },
    { id: 'c2', controlRoom: { lead: 'lead2' }, cells: [{ id: 'g3', workers: ['w3'], buildings: [{ id: 'b3' }] }] },
  ],
  workers: [
    { id: 'w1', name: 'Worker One', phone: '13800000001', role: 'worker', cells: ['g1'] },
    { id: 'w2', name: 'Worker Two', phone: '13800000002', role: 'worker', cells: ['g2'] },
    { id: 'w3', name: 'Worker Three', phone: '13800000003', role: 'worker', cells: ['g3'] },
    { id: 'sup1', name: 'Supervisor One', phone: '13800000004', role: 'supervisor', cells: ['g1'] },
    { id: 'lead1', name: 'Lead One', phone: '13800000005', role: 'lead' },
    { id: 'lead2', name: 'Lead Two', phone: '13800000006', role: 'lead' },
  ],
  devices: [
    { id: 's1', kind: 'smoke', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1' },
    { id: 's2', kind: 'smoke', communityId: 'c1', gridCellId: 'g2', buildingId: 'b2' },
    { id: 's3', kind: 'smoke', communityId: 'c2', gridCellId: 'g3', buildingId: 'b3' },
  ],
});

export function scopeConfigFile(): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'csh-attack-cfg-')), 'hub.json');
  fs.writeFileSync(file, JSON.stringify(SCOPE_CONFIG));
  return file;
}

export const PASSWORD = 'long-enough-password';

/** Accounts of each role and scope; their usernames are their logins (password PASSWORD). */
export const ACCOUNTS = {
  op1: { role: 'operator', communities: ['c1'] },
  op2: { role: 'operator', communities: ['c2'] },
  opAll: { role: 'operator', communities: ['*'] },
  viewer2: { role: 'viewer', communities: ['c2'] },
  worker1: { role: 'worker', workerId: 'w1' },
  worker3: { role: 'worker', workerId: 'w3' },
} as const;
export type AccountName = keyof typeof ACCOUNTS;

export interface Seeded {
  admin: HubSession;
  tokens: Record<AccountName, string>;
  /** one open alert per device s1, s2, s3 */
  alertIds: Record<'s1' | 's2' | 's3', string>;
}

/** Creates the accounts, raises a smoke alarm on each device over MQTT, and waits for the alerts. */
export async function seed(hub: Hub): Promise<Seeded> {
  const admin = await adminSession(hub.httpUrl, 'attack-gw');
  for (const [username, a] of Object.entries(ACCOUNTS)) await createUser(hub.httpUrl, admin.token, { username, password: PASSWORD, ...a });
  const tokens = {} as Record<AccountName, string>;
  for (const username of Object.keys(ACCOUNTS) as AccountName[]) tokens[username] = await login(hub.httpUrl, { username, password: PASSWORD });
  const client = await mqtt.connectAsync(hub.mqttUrl, { ...admin.gateway, clientId: admin.gateway.username, reconnectPeriod: 0 });
  for (const d of SCOPE_CONFIG.devices!) {
    await client.publishAsync(`community/${d.communityId}/smoke/${d.id}/telemetry`, JSON.stringify({ battery_pct: 90, temperature_c: 21 }), { qos: 1 });
    await client.publishAsync(`community/${d.communityId}/smoke/${d.id}/event`, JSON.stringify({ type: 'alarm' }), { qos: 1 });
  }
  await client.endAsync();
  const alertIds = await waitFor(
    () => {
      const byDevice = Object.fromEntries(hub.alerts.unresolved().map((a) => [a.deviceId, a.id]));
      return byDevice.s1 && byDevice.s2 && byDevice.s3 ? (byDevice as Seeded['alertIds']) : undefined;
    },
    { what: 'an alert on each seeded device', timeoutMs: 30_000 },
  );
  return { admin, tokens, alertIds };
}
