import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../server/src/hub.ts';
import { adminSession, createGateway, provisionDevice, type HubSession } from '../helpers/auth.ts';
import { startHub } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import { metric } from './store-helpers.ts';

type Login = { username: string; password: string };

async function publishFor(hub: Hub, login: Login, topics: string[], payload: () => string): Promise<void> {
  const client = await mqtt.connectAsync(hub.mqttUrl, { clientId: login.username, ...login, reconnectPeriod: 0 });
  try {
    await Promise.all(topics.map((t) => client.publishAsync(t, payload(), { qos: 1 })));
  } finally {
    await client.endAsync();
  }
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const telemetry = (c: string) => (id: string) => `community/${c}/smoke/${id}/telemetry`;

/**
 * A gateway publishes for any device id of its communities, and an unknown id registered itself:
 * one gateway looping over fresh ids grew the registry (and every per-device map behind it) without
 * bound, each fresh id with a full rate-limit burst, and could invent communities of its own with `*`.
 */
describe('a gateway cannot grow the device registry without bound', () => {
  let hub: Hub;
  let s: HubSession;
  let c1Gateway: Login;
  beforeAll(async () => {
    hub = await startHub({ maxUnprovisionedPerCommunity: 100, maxUnprovisionedDevices: 250 });
    s = await adminSession(hub.httpUrl, 'flood-admin-gw');
    c1Gateway = await createGateway(hub.httpUrl, s.token, 'flood-c1', ['c1']);
    await provisionDevice(hub.httpUrl, s.token, { id: 'real-c1', kind: 'smoke', communityId: 'c1' });
    await provisionDevice(hub.httpUrl, s.token, { id: 'real-c9', kind: 'smoke', communityId: 'c9' });
  });
  afterAll(async () => hub?.stop());

  const unprovisionedIn = (c: string) => [...hub.registry.all()].filter((d) => !d.provisioned && d.communityId === c).length;

  it('caps new unprovisioned ids per community and hub-wide; known and provisioned devices are never refused', async () => {
    await publishFor(hub, c1Gateway, ids('early', 10).map(telemetry('c1')), () => JSON.stringify({ battery_pct: 90 }));
    await publishFor(hub, c1Gateway, ids('junk', 200).map(telemetry('c1')), () => JSON.stringify({ battery_pct: 1 }));
    await waitFor(async () => ((await metric(hub, 'hub_messages_rejected_total', { reason: 'registry_full' })) === 110 ? true : undefined), { timeoutMs: 10_000, what: '110 refused in c1' });
    expect(unprovisionedIn('c1')).toBe(100);

    // Already known, or provisioned by an admin: unaffected by the full community.
    await publishFor(hub, c1Gateway, [...ids('early', 10), 'real-c1'].map(telemetry('c1')), () => JSON.stringify({ battery_pct: 80 }));
    await waitFor(() => (hub.registry.get('real-c1')?.lastSeenAt ? true : undefined), { timeoutMs: 5000, what: 'real-c1 heard' });
    expect(await metric(hub, 'hub_messages_rejected_total', { reason: 'registry_full' })).toBe(110);

    // A `*` gateway inventing communities meets the hub-wide cap: 250 in all.
    for (const c of ['x1', 'x2']) await publishFor(hub, s.gateway, ids(`${c}-`, 100).map(telemetry(c)), () => JSON.stringify({ battery_pct: 1 }));
    await waitFor(async () => ((await metric(hub, 'hub_messages_rejected_total', { reason: 'registry_full' })) === 160 ? true : undefined), { timeoutMs: 10_000, what: '50 more refused hub-wide' });
    expect([...hub.registry.all()].filter((d) => !d.provisioned)).toHaveLength(250);

    // A provisioned device in another community still raises its alarm.
    await publishFor(hub, s.gateway, ['community/c9/smoke/real-c9/event'], () => JSON.stringify({ type: 'alarm' }));
    await waitFor(() => (hub.alerts.list({}).some((a) => a.deviceId === 'real-c9') ? true : undefined), { timeoutMs: 5000, what: 'the alarm of real-c9' });

    // Provisioning frees a place in its community.
    await provisionDevice(hub.httpUrl, s.token, { id: 'early0', kind: 'smoke', communityId: 'c1' });
    expect(unprovisionedIn('c1')).toBe(99);
    await publishFor(hub, c1Gateway, ['community/c1/smoke/late0/telemetry'], () => JSON.stringify({ battery_pct: 70 }));
    await waitFor(() => (hub.registry.get('late0') ? true : undefined), { timeoutMs: 5000, what: 'late0 registered' });
    expect(unprovisionedIn('c1')).toBe(100);
  });
});
