// GET /api/stats/communities over the district simulator's 20 communities (issue 16 item 7 at
// scale), against the real hub provisioned from the simulator's own config: every community of the
// operator's scope answered, each with its own device, online, alert and acknowledgement counts;
// a narrower operator gets only their communities. No timings here: bench/dashboard-district.ts.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import type { CommunityStatsReply } from '../../devices/src/wire.ts';
import { buildDistrict } from '../../simulators/community/build.ts';
import { hubConfigDocument } from '../../simulators/community/hub-config.ts';
import { authedFetch, createUser, login } from '../helpers/auth.ts';
import { configuredHub, type ConfiguredHub } from './configured-hub.ts';
import { waitFor } from './browser.ts';

// small communities keep the hub quick to start; the count of communities is the simulator's 20
const district = buildDistrict({ seed: 7, communities: 20, households: 120, buildings: 2 });
const ids = district.communities.map((c) => c.id);
const smokeOf = (cid: string) => district.devices.filter((d) => d.communityId === cid && d.kind === 'smoke');
/** community index i: i % 4 alarms, i % 3 devices reporting online (of the same first smoke detectors) */
const alarms = (i: number) => i % 4;
const reporting = (i: number) => i % 3;
/** a device that speaks is online: those that alarmed count too */
const online = (i: number) => Math.max(alarms(i), reporting(i));
const pass = () => `d-${randomBytes(8).toString('hex')}`;

describe('sub-district figures over 20 communities (real hub)', () => {
  let fixture: ConfiguredHub;
  let street: (url: string, init?: RequestInit) => Promise<Response>;
  let narrow: (url: string, init?: RequestInit) => Promise<Response>;
  let acked: string;
  const figures = async (f: typeof street) => {
    const r = await f(`${fixture.hub.httpUrl}/api/stats/communities`);
    expect(r.status).toBe(200);
    return ((await r.json()) as CommunityStatsReply).communities;
  };

  beforeAll(async () => {
    expect(ids).toHaveLength(20);
    fixture = await configuredHub('district-scale', hubConfigDocument(district));
    const { hub, session } = fixture;
    const streetUser = { username: 'street20', password: pass() };
    const narrowUser = { username: 'street3', password: pass() };
    await createUser(hub.httpUrl, session.token, { ...streetUser, role: 'operator', communities: ids });
    await createUser(hub.httpUrl, session.token, { ...narrowUser, role: 'operator', communities: ids.slice(0, 3) });
    street = authedFetch(await login(hub.httpUrl, streetUser));
    narrow = authedFetch(await login(hub.httpUrl, narrowUser));
    const c = await mqtt.connectAsync(hub.mqttUrl, { clientId: `district-scale-${randomBytes(3).toString('hex')}`, reconnectPeriod: 0, ...session.gateway });
    for (const [i, cid] of ids.entries()) {
      const smoke = smokeOf(cid);
      for (const d of smoke.slice(0, reporting(i))) await c.publishAsync(`community/${cid}/smoke/${d.id}/status`, 'online', { qos: 1 });
      for (const d of smoke.slice(0, alarms(i))) await c.publishAsync(`community/${cid}/smoke/${d.id}/event`, JSON.stringify({ type: 'alarm' }), { qos: 1 });
    }
    await c.endAsync();
    const want = ids.reduce((n, _, i) => n + alarms(i), 0);
    const unresolved = async () =>
      ((await (await session.fetch(`${hub.httpUrl}/api/alerts?state=unresolved&limit=1000`)).json()) as { alerts: { id: string; communityId: string }[] }).alerts;
    await waitFor(async () => (await unresolved()).length === want, 30_000, `${want} alerts`);
    // one alert acknowledged, in the community with index 3 (three alarms)
    acked = (await unresolved()).find((a) => a.communityId === ids[3])!.id;
    const r = await street(`${hub.httpUrl}/api/alerts/${acked}/ack`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(200);
  }, 240_000);
  afterAll(async () => {
    await fixture?.stop();
  }, 60_000);

  it('answers every community of the scope with its own counts', async () => {
    await waitFor(async () => (await figures(street)).every((f) => f.devices.online === online(ids.indexOf(f.communityId))), 15_000, 'online counts');
    const list = await figures(street);
    expect(list.map((f) => f.communityId).sort()).toEqual([...ids].sort());
    for (const [i, cid] of ids.entries()) {
      const f = list.find((x) => x.communityId === cid)!;
      const total = district.devices.filter((d) => d.communityId === cid).length;
      expect(f.devices, cid).toEqual({ total, online: online(i), onlinePct: Math.round((online(i) / total) * 1000) / 10 });
      expect(f.alerts.openBySeverity, cid).toEqual({ critical: alarms(i), major: 0, minor: 0, info: 0 });
      const unacked = alarms(i) - (i === 3 ? 1 : 0);
      expect(f.alerts.unacknowledgedBySeverity, cid).toEqual({ critical: unacked, major: 0, minor: 0, info: 0 });
      expect(f.meanTimeToAcknowledgeTodayS === null, cid).toBe(i !== 3);
    }
  });

  it('an operator of three communities gets those three only', async () => {
    const list = await figures(narrow);
    expect(list.map((f) => f.communityId).sort()).toEqual(ids.slice(0, 3).sort());
    expect(list.find((f) => f.communityId === ids[2])!.alerts.openBySeverity.critical).toBe(alarms(2));
  });
});
