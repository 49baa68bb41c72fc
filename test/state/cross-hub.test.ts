// Any hub serves any dashboard (issue 20): two hubs in this process on one real PostgreSQL.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import type { Alert } from '#devices';
import type { Hub } from '../../server/src/hub.ts';
import { createLogger } from '../../server/src/log.ts';
import { openPg, type PgSql } from '../../server/src/state/pg/connect.ts';
import { authedFetch, createUser, login, openLive } from '../helpers/auth.ts';
import { alert } from '../dashboard/fixtures.ts';
import { startHub, tempDataDir } from '../helpers/hub.ts';
import { writeAlertAsOwner } from '../helpers/pg-alerts.ts';
import { waitFor } from '../helpers/ports.ts';
import { startMosquitto, startPostgres, type PostgresService, type Service } from '../helpers/services.ts';

const ROOM = { username: 'subdistrict', password: 'sub-district room pw' };

describe('two hubs on one PostgreSQL', () => {
  let pg: PostgresService;
  let mosquitto: Service;
  let configFile: string;
  let a: Hub;
  let b: Hub;
  let owner: PgSql;
  let stateUrl: string;
  beforeAll(async () => {
    [pg, mosquitto] = await Promise.all([startPostgres(), startMosquitto()]);
    stateUrl = await pg.database('cross_hub');
    // Hubs on a shared state are a cluster: one broker, the config file's communities shared out by lease.
    configFile = path.join(tempDataDir('cross-hub-config'), 'hub.json');
    fs.writeFileSync(
      configFile,
      JSON.stringify({ communities: ['c1', 'c2', 'c3'].map((id) => ({ id, cells: [{ id: `${id}-g1` }] })), devices: [{ id: 'presence-1', kind: 'smoke', communityId: 'c1', gridCellId: 'c1-g1' }] }),
    );
    const common = { stateUrl, mqttUrl: mosquitto.url, configFile, hubLeaseTtlMs: 4000 };
    [a, b] = await Promise.all([startHub({ ...common, hubId: 'hub-a', mqttClientId: 'hub-a' }), startHub({ ...common, hubId: 'hub-b', mqttClientId: 'hub-b' })]);
    owner = await openPg(stateUrl, createLogger('silent'), { max: 2 });
  }, 120_000);
  afterAll(async () => {
    await owner?.end();
    await Promise.all([a?.stop(), b?.stop()]);
    await Promise.all([pg?.stop(), mosquitto?.stop()]);
  });

  it('an account created on hub A logs in on hub B; a session from A works on B; logout on A ends it on both', async () => {
    const admin = await login(a.httpUrl);
    await createUser(a.httpUrl, admin, { ...ROOM, role: 'operator', communities: ['c1', 'c2'] });
    expect((await login(b.httpUrl, { username: 'SubDistrict', password: ROOM.password })).length).toBeGreaterThan(20);

    const token = await login(a.httpUrl, ROOM);
    const me = await authedFetch(token)(`${b.httpUrl}/api/auth/me`);
    expect(me.status).toBe(200);
    expect(((await me.json()) as { user: { username: string } }).user.username).toBe('subdistrict');
    const live = await openLive(b.httpUrl, token);
    const closed = new Promise<number>((resolve) => live.once('close', (code) => resolve(code)));

    expect((await authedFetch(token)(`${a.httpUrl}/api/auth/logout`, { method: 'POST' })).status).toBe(200);
    expect((await authedFetch(token)(`${b.httpUrl}/api/auth/me`)).status).toBe(401);
    expect((await authedFetch(token)(`${a.httpUrl}/api/auth/me`)).status).toBe(401);
    expect(await closed).toBe(4401);
    // the audit log is one for both hubs
    const entries = ((await (await authedFetch(admin)(`${b.httpUrl}/api/audit?actor=subdistrict`)).json()) as { entries: { action: string }[] }).entries.map((e) => e.action);
    expect(entries).toEqual(expect.arrayContaining(['auth.login', 'auth.logout']));
  }, 60_000);

  it("a sub-district room on hub B sees, live and in lists, the alerts other hubs own in its communities, and nothing else", async () => {
    const token = await login(b.httpUrl, ROOM);
    const live: WebSocket = await openLive(b.httpUrl, token);
    const heard: Alert[] = [];
    live.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as { type: string; alert?: Alert };
      if (msg.type === 'alert') heard.push(msg.alert!);
    });
    await writeAlertAsOwner(owner, alert({ id: 'fire-c1', deviceId: 'dev-fire-c1', communityId: 'c1', severity: 'critical', openedAt: 1000 }), 'hub-a');
    await writeAlertAsOwner(owner, alert({ id: 'fire-c3', deviceId: 'dev-fire-c3', communityId: 'c3', openedAt: 1500 }), 'hub-a');
    await writeAlertAsOwner(owner, alert({ id: 'smoke-c2', deviceId: 'dev-smoke-c2', communityId: 'c2', openedAt: 2000 }), 'hub-c');
    await waitFor(() => heard.some((x) => x.id === 'smoke-c2'), { timeoutMs: 10_000, what: 'the hub-c alert on hub B' });
    expect(heard.map((x) => x.id)).toEqual(['fire-c1', 'smoke-c2']);

    const f = authedFetch(token);
    const list = (await (await f(`${b.httpUrl}/api/alerts?state=unresolved`)).json()) as { total: number; alerts: Alert[] };
    expect(list.alerts.map((x) => x.id)).toEqual(['fire-c1', 'smoke-c2']);
    expect((await f(`${b.httpUrl}/api/alerts/fire-c1`)).status).toBe(200);
    expect((await f(`${b.httpUrl}/api/alerts/fire-c3`)).status).toBe(403);
    expect((await f(`${a.httpUrl}/api/alerts/nope`)).status).toBe(404);
    // the same from hub A
    expect(((await (await f(`${a.httpUrl}/api/alerts?state=unresolved`)).json()) as { alerts: Alert[] }).alerts.map((x) => x.id)).toEqual(['fire-c1', 'smoke-c2']);
    live.close();
  }, 60_000);

  it('alert search and the CSV export read the shared state: the same pages from either hub, a cursor from A continues on B', async () => {
    const base = Date.now() - 3_600_000;
    for (let i = 0; i < 7; i++) {
      const communityId = ['c1', 'c2', 'c3'][i % 3]!;
      await writeAlertAsOwner(owner, alert({ id: `srch-${i}`, deviceId: `dev-srch-${i}`, communityId, gridCellId: `${communityId}-g1`, openedAt: base + i * 1000, state: i === 0 ? 'resolved' : 'open' }), i % 2 ? 'hub-a' : 'hub-b');
    }
    const admin = authedFetch(await login(a.httpUrl));
    const search = async (hub: Hub, query: string) => {
      const res = await admin(`${hub.httpUrl}/api/alerts/search?${query}`);
      expect(res.status).toBe(200);
      return (await res.json()) as { alerts: Alert[]; nextCursor: string | null };
    };
    const ids = (p: { alerts: Alert[] }) => p.alerts.map((x) => x.id);
    const firstA = await search(a, 'q=srch-&limit=3');
    expect(ids(firstA)).toEqual(['srch-6', 'srch-5', 'srch-4']);
    expect(ids(await search(b, 'q=srch-&limit=3'))).toEqual(ids(firstA));
    const nextB = await search(b, `q=srch-&limit=3&cursor=${firstA.nextCursor}`);
    expect(ids(nextB)).toEqual(['srch-3', 'srch-2', 'srch-1']);
    expect(ids(await search(b, `q=srch-&limit=3&cursor=${nextB.nextCursor}`))).toEqual(['srch-0']);
    expect(ids(await search(a, 'q=srch-&communityId=c2&state=unresolved'))).toEqual(['srch-4', 'srch-1']);
    expect(ids(await search(b, 'q=srch-&state=resolved'))).toEqual(['srch-0']);
    // The sub-district room (c1 and c2) never sees c3's, on either hub.
    const room = authedFetch(await login(b.httpUrl, ROOM));
    for (const hub of [a, b]) {
      const res = await room(`${hub.httpUrl}/api/alerts/search?q=srch-`);
      expect(((await res.json()) as { alerts: Alert[] }).alerts.map((x) => x.communityId).sort()).toEqual(['c1', 'c1', 'c1', 'c2', 'c2']);
    }
    const csv = await Promise.all([a, b].map(async (hub) => (await admin(`${hub.httpUrl}/api/alerts/export.csv?q=srch-&lang=en`)).text()));
    expect(csv[0]).toBe(csv[1]);
    expect(csv[0]!.trim().split('\r\n')).toHaveLength(1 + 7);
    expect(csv[0]).toContain('srch-3');
  }, 60_000);

  it("an acknowledgement from a person's channel on the hub that does not hold the community is applied by the holder, once", async () => {
    const [lease] = await owner<{ holder: string }[]>`SELECT holder FROM community_leases WHERE community_id = 'c1' AND expires_at > now()`;
    const [holder, other] = lease!.holder === 'hub-a' ? [a, b] : [b, a];
    const client = await mqtt.connectAsync(mosquitto.url, { clientId: 'cross-hub-alarm', clean: true });
    await client.publishAsync('community/c1/smoke/dev-people-ack/event', JSON.stringify({ type: 'alarm' }), { qos: 1 });
    await client.endAsync();
    const opened = await waitFor(() => holder.alerts.unresolved().find((x) => x.deviceId === 'dev-people-ack'), { timeoutMs: 15_000, what: 'the alarm on its holder' });
    await waitFor(() => other.alerts.get(opened.id), { timeoutMs: 10_000, what: 'the alarm in the other hub\'s view' });

    const acked = await other.people.acknowledge({ alertId: opened.id, recipientId: 'w-li', channel: 'wecom' });
    expect(acked).toMatchObject({ id: opened.id, state: 'acknowledged', acknowledgedBy: 'w-li' });
    // a second press (the card's button again) changes nothing
    await other.people.acknowledge({ alertId: opened.id, recipientId: 'w-li', channel: 'wecom' });
    const onHolder = holder.alerts.get(opened.id)!;
    expect(onHolder.state).toBe('acknowledged');
    expect(onHolder.history.filter((h) => h.action === 'acknowledged')).toHaveLength(1);
    expect(onHolder.history.filter((h) => h.action === 'acknowledged_via')).toEqual([expect.objectContaining({ by: 'w-li', detail: expect.objectContaining({ channel: 'wecom' }) })]);
  }, 60_000);

  it("a device's online state, heard by its community's holder, is every hub's; silence is judged on the holder only", async () => {
    const [lease] = await owner<{ holder: string }[]>`SELECT holder FROM community_leases WHERE community_id = 'c1' AND expires_at > now()`;
    const [holder, other] = lease!.holder === 'hub-a' ? [a, b] : [b, a];
    const live = await openLive(other.httpUrl, await login(other.httpUrl));
    const heard: boolean[] = [];
    live.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as { type: string; device?: { id: string; online: boolean } };
      if (msg.type === 'device' && msg.device!.id === 'presence-1') heard.push(msg.device!.online);
    });
    const client = await mqtt.connectAsync(mosquitto.url, { clientId: 'presence-1', clean: true });
    const status = async (state: string) => client.publishAsync('community/c1/smoke/presence-1/status', state, { qos: 1 });
    const onlineOn = (hub: Hub) => hub.registry.get('presence-1')?.online;

    await status('online');
    await waitFor(() => onlineOn(holder) === true && onlineOn(other) === true, { timeoutMs: 10_000, what: 'online on both hubs' });
    await status('offline');
    await waitFor(() => onlineOn(holder) === false && onlineOn(other) === false, { timeoutMs: 10_000, what: 'offline on both hubs' });
    await status('online');
    await waitFor(() => onlineOn(other) === true && heard.length >= 3, { timeoutMs: 10_000, what: 'back online, live on the other hub' });
    expect(heard.slice(-3)).toEqual([true, false, true]);
    const listed = (await (await authedFetch(await login(other.httpUrl))(`${other.httpUrl}/api/devices/presence-1`)).json()) as { device: { online: boolean } };
    expect(listed.device.online).toBe(true);
    // The other hub's registry last heard the device an hour ago (as if it had held c1 then): it does not judge it silent.
    other.registry.touch(other.registry.get('presence-1')!, Date.now() - 3_600_000);
    other.rules.sweepSilence();
    expect(onlineOn(other)).toBe(true);
    const [row] = await owner<{ online: boolean; hub: string }[]>`SELECT online, hub FROM device_presence WHERE device_id = 'presence-1'`;
    expect(row).toEqual({ online: true, hub: lease!.holder });
    await client.endAsync();
    live.close();
  }, 60_000);

  it('the admin CLI with STATE_URL creates the account in the shared state: it logs in on either hub', () => {
    const cli = spawnSync(process.execPath, ['--import', 'tsx', path.resolve(import.meta.dirname, '../../server/src/auth/cli.ts'), 'create-user', 'night-op', '--role', 'operator', '--communities', 'c1'], {
      // the CLI runs with the hubs' environment
      env: { ...process.env, STATE_URL: stateUrl, MQTT_URL: mosquitto.url, HUB_CONFIG: configFile, DATA_DIR: tempDataDir('cli'), LOG_LEVEL: 'silent' },
      input: 'night operator password\n',
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(cli.stderr + cli.stdout).toContain('created operator night-op');
    return Promise.all([a, b].map((hub) => login(hub.httpUrl, { username: 'night-op', password: 'night operator password' })));
  }, 90_000);
});
