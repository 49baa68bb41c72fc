import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '#devices';
import type { Hub } from '../../server/src/hub.ts';
import { LoginThrottle } from '../../server/src/auth/throttle.ts';
import { SAMPLE_CONFIG } from '../helpers/alerts.ts';
import { startHub, tempDataDir } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import { adminSession, authedFetch, createUser, login, openLive, TEST_ADMIN, type HubSession } from '../helpers/auth.ts';

const PW = 'a-long-enough-password';
const json = async <T>(res: Response) => (await res.json()) as T;
/** The status a refused WebSocket upgrade answered with. */
const upgradeStatus = (ws: WebSocket) =>
  new Promise<number>((resolve) =>
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      resolve(res.statusCode ?? 0);
    }),
  );
const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('HTTP and WebSocket: authentication, roles, scopes, audit', () => {
  let hub: Hub;
  let s: HubSession;
  let devices: mqtt.MqttClient;
  let url: string;

  beforeAll(async () => {
    const dataDir = tempDataDir('http-sec');
    const configFile = path.join(dataDir, 'community.yaml');
    fs.writeFileSync(configFile, stringify(SAMPLE_CONFIG));
    hub = await startHub({ dataDir, configFile, loginRateLimit: 1000 });
    url = hub.httpUrl;
    s = await adminSession(url);
    await createUser(url, s.token, { username: 'worker1', password: PW, role: 'worker', workerId: 'w1' });
    await createUser(url, s.token, { username: 'worker2', password: PW, role: 'worker', cells: ['g2'] });
    await createUser(url, s.token, { username: 'op1', password: PW, role: 'operator', communities: ['c1'] });
    await createUser(url, s.token, { username: 'op9', password: PW, role: 'operator', communities: ['c9'] });
    await createUser(url, s.token, { username: 'viewer1', password: PW, role: 'viewer', communities: ['*'] });
    devices = await mqtt.connectAsync(hub.mqttUrl, { ...s.gateway, clientId: 'http-sec-devices' });
  });
  afterAll(async () => {
    devices?.end(true);
    await hub?.stop();
  });

  it('every route and /ws need a login; health, login and the dashboard do not', async () => {
    for (const p of ['/api/devices', '/api/devices/s1', '/api/alerts', '/api/grid', '/api/stats', '/api/ingest/rejected', '/api/users', '/api/audit', '/api/auth/me', '/api/mqtt/mosquitto-config', '/api/nope']) {
      const res = await fetch(url + p);
      expect(res.status, p).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'UNAUTHORIZED' });
    }
    expect((await post(`${url}/api/alerts/a-1/ack`, {})).status).toBe(401);
    expect((await post(`${url}/api/devices`, { id: 'x', kind: 'smoke', communityId: 'c1' })).status).toBe(401);
    expect((await fetch(`${url}/api/devices`, { headers: { authorization: 'Bearer not-a-token' } })).status).toBe(401);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/`)).status).toBe(200);
    expect((await fetch(`${url}/worker`)).status).toBe(200);
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`);
    expect(await upgradeStatus(ws)).toBe(401);
  });

  it('login sets an httpOnly SameSite=Strict cookie and returns a bearer token; logout ends the session', async () => {
    const res = await post(`${url}/api/auth/login`, { username: 'op1', password: PW });
    expect(res.status).toBe(200);
    const body = await json<{ token: string; user: { username: string; role: string; communities: string[] } }>(res);
    expect(body.user).toMatchObject({ username: 'op1', role: 'operator', communities: ['c1'] });
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^hub_session=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Strict/);
    const session = cookie.split(';')[0]!;
    expect((await fetch(`${url}/api/auth/me`, { headers: { cookie: session } })).status).toBe(200);
    expect((await fetch(`${url}/api/auth/me`, { headers: { authorization: `Bearer ${body.token}` } })).status).toBe(200);
    expect((await post(`${url}/api/auth/logout`, {}, { authorization: `Bearer ${body.token}` })).status).toBe(200);
    expect((await fetch(`${url}/api/auth/me`, { headers: { cookie: session } })).status).toBe(401);
    expect((await post(`${url}/api/auth/login`, { username: 'op1', password: 'wrong-password' })).status).toBe(401);
    expect((await post(`${url}/api/auth/login`, { username: 'nobody', password: 'wrong-password' })).status).toBe(401);
  });

  it('cookie-authenticated state changes need a same-origin Origin or X-Requested-With (CSRF)', async () => {
    await devices.publishAsync('community/c1/smoke/s2/event', JSON.stringify({ type: 'fault' }), { qos: 1 });
    const alert = await waitFor(() => hub.alerts.unresolved().find((a) => a.deviceId === 's2'), { what: 'fault alert' });
    const res = await post(`${url}/api/auth/login`, { username: 'op1', password: PW });
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const ack = (headers: Record<string, string>) => fetch(`${url}/api/alerts/${alert.id}/ack`, { method: 'POST', headers: { cookie, ...headers } });
    expect((await ack({})).status).toBe(403);
    expect((await ack({ origin: 'https://evil.example' })).status).toBe(403);
    expect((await ack({ origin: 'https://evil.example', 'x-requested-with': 'fetch' })).status).toBe(403);
    expect((await ack({ origin: url })).status).toBe(200);
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`, { headers: { cookie, origin: 'https://evil.example' } });
    expect(await upgradeStatus(ws)).toBe(403);
    // Bearer tokens are not sent by browsers on their own, so they need no CSRF proof.
    expect((await post(`${url}/api/alerts/${alert.id}/resolve`, { note: 'checked' }, { authorization: `Bearer ${await login(url, { username: 'op1', password: PW })}` })).status).toBe(200);
  });

  it('a worker of cell g1 gets 403 on a g2 alert and no WebSocket message about it', async () => {
    const w1 = await login(url, { username: 'worker1', password: PW });
    const w1ws = await openLive(url, w1);
    const w2ws = await openLive(url, await login(url, { username: 'worker2', password: PW }));
    const opws = await openLive(url, await login(url, { username: 'op1', password: PW }));
    const got = { w1: [] as Alert[], w2: [] as Alert[], op: [] as Alert[] };
    w1ws.on('message', (d) => { const m = JSON.parse(d.toString()); if (m.type === 'alert') got.w1.push(m.alert); });
    w2ws.on('message', (d) => { const m = JSON.parse(d.toString()); if (m.type === 'alert') got.w2.push(m.alert); });
    opws.on('message', (d) => { const m = JSON.parse(d.toString()); if (m.type === 'alert') got.op.push(m.alert); });
    await devices.publishAsync('community/c1/smoke/s4/event', JSON.stringify({ type: 'alarm' }), { qos: 1 }); // cell g2
    await devices.publishAsync('community/c1/smoke/s1/event', JSON.stringify({ type: 'alarm' }), { qos: 1 }); // cell g1
    await waitFor(() => (got.w1.some((a) => a.deviceId === 's1') && got.w2.some((a) => a.deviceId === 's4') && got.op.length >= 2) || undefined, { what: 'alerts pushed' });
    await new Promise((r) => setTimeout(r, 300));
    expect(got.w1.every((a) => a.gridCellId === 'g1')).toBe(true);
    expect(got.w2.every((a) => a.gridCellId === 'g2')).toBe(true);
    const g2 = got.w2.find((a) => a.deviceId === 's4')!;
    const g1 = got.w1.find((a) => a.deviceId === 's1')!;
    const f = authedFetch(w1);
    expect((await f(`${url}/api/alerts/${g2.id}`)).status).toBe(403);
    expect((await f(`${url}/api/alerts/${g2.id}/ack`, { method: 'POST' })).status).toBe(403);
    expect((await f(`${url}/api/devices/s4`)).status).toBe(403);
    expect((await f(`${url}/api/devices/s4/telemetry`)).status).toBe(403);
    const list = await json<{ alerts: Alert[] }>(await f(`${url}/api/alerts?state=unresolved`));
    expect(list.alerts.length).toBeGreaterThan(0);
    expect(list.alerts.every((a) => a.gridCellId === 'g1')).toBe(true);
    const devs = await json<{ devices: { gridCellId: string }[] }>(await f(`${url}/api/devices`));
    expect(devs.devices.every((d) => d.gridCellId === 'g1')).toBe(true);
    const ack = await f(`${url}/api/alerts/${g1.id}/ack`, { method: 'POST' });
    expect(ack.status).toBe(200);
    expect((await json<{ alert: Alert }>(ack)).alert.acknowledgedBy).toBe('worker1');
    // The other community's operator sees none of it.
    const op9 = authedFetch(await login(url, { username: 'op9', password: PW }));
    expect((await json<{ alerts: Alert[] }>(await op9(`${url}/api/alerts`))).alerts).toEqual([]);
    expect((await op9(`${url}/api/alerts/${g1.id}`)).status).toBe(403);
    expect((await json<{ communities: unknown[] }>(await op9(`${url}/api/grid`))).communities).toEqual([]);
    for (const ws of [w1ws, w2ws, opws]) ws.close();
  });

  it('a viewer reads but cannot act; only admins manage users, devices and the audit log', async () => {
    const v = authedFetch(await login(url, { username: 'viewer1', password: PW }));
    const { alerts } = await json<{ alerts: Alert[] }>(await v(`${url}/api/alerts?state=unresolved`));
    expect(alerts.length).toBeGreaterThan(0);
    expect((await v(`${url}/api/alerts/${alerts[0]!.id}/ack`, { method: 'POST' })).status).toBe(403);
    const op = authedFetch(await login(url, { username: 'op1', password: PW }));
    for (const [method, p, body] of [
      ['GET', '/api/users', undefined],
      ['POST', '/api/users', { username: 'x1', password: PW, role: 'admin' }],
      ['POST', '/api/devices', { id: 'x1', kind: 'smoke', communityId: 'c1' }],
      ['GET', '/api/audit', undefined],
      ['GET', '/api/mqtt/mosquitto-config', undefined],
      ['POST', '/api/mqtt/gateways', { id: 'gx', communities: ['*'] }],
    ] as const) {
      expect((await op(url + p, { method, ...(body ? { body: JSON.stringify(body) } : {}) })).status, `${method} ${p}`).toBe(403);
    }
    const { entries } = await json<{ entries: { action: string; actor: string; target: string | null; ok: boolean }[] }>(await s.fetch(`${url}/api/audit?limit=500`));
    const actions = new Set(entries.map((e) => e.action));
    for (const a of ['auth.login', 'auth.login_failed', 'auth.logout', 'user.create', 'alert.ack', 'alert.resolve', 'gateway.create']) expect(actions, a).toContain(a);
    expect(entries.find((e) => e.action === 'alert.ack' && e.actor === 'worker1')).toBeDefined();
  });

  it('changing a user ends their sessions; their open WebSocket hears nothing more', async () => {
    const token = await login(url, { username: 'worker2', password: PW });
    expect((await authedFetch(token)(`${url}/api/auth/me`)).status).toBe(200);
    const ws = await openLive(url, token);
    const heard: string[] = [];
    ws.on('message', (d) => heard.push(JSON.parse(d.toString()).type));
    const patch = await s.fetch(`${url}/api/users/worker2`, { method: 'PATCH', body: JSON.stringify({ disabled: true }) });
    expect(patch.status).toBe(200);
    expect((await authedFetch(token)(`${url}/api/auth/me`)).status).toBe(401);
    expect((await post(`${url}/api/auth/login`, { username: 'worker2', password: PW })).status).toBe(401);
    await devices.publishAsync('community/c1/fire_station/fs1/event', JSON.stringify({ type: 'pressure_low' }), { qos: 1 }); // cell g2
    await waitFor(() => hub.alerts.unresolved().find((a) => a.deviceId === 'fs1'), { what: 'g2 alert' });
    await new Promise((r) => setTimeout(r, 200));
    expect(heard.filter((t) => t === 'alert')).toEqual([]);
    ws.close();
  });

  it('brute force: repeated failures make each next attempt wait, even with the right password', async () => {
    await createUser(url, s.token, { username: 'target', password: PW, role: 'viewer', communities: ['c1'] });
    for (let i = 0; i < 3; i++) expect((await post(`${url}/api/auth/login`, { username: 'target', password: `guess-${i}-xxxxx` })).status).toBe(401);
    const throttled = await post(`${url}/api/auth/login`, { username: 'target', password: PW });
    expect(throttled.status).toBe(429);
    expect(await throttled.json()).toMatchObject({ error: 'LOGIN_THROTTLED' });
    // Other accounts are not affected.
    expect((await post(`${url}/api/auth/login`, TEST_ADMIN)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await post(`${url}/api/auth/login`, { username: 'target', password: PW })).status).toBe(200);
  });

  it('growing waits per name and address, capped at a minute, no lockout (throttle unit, injected clock)', () => {
    const clock = { now: 0 };
    const t = new LoginThrottle({ clock: () => clock.now });
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      clock.now += t.waitMs('u', '192.0.2.1');
      waits.push(t.failure('u', '192.0.2.1').waitMs);
    }
    expect(waits).toEqual([0, 0, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000, 60000]);
    expect(t.waitMs('u', '192.0.2.2')).toBe(0);
    clock.now += 60_000;
    expect(t.waitMs('u', '192.0.2.1')).toBe(0);
    t.failure('u', '192.0.2.1');
    t.success('u', '192.0.2.1');
    expect(t.waitMs('u', '192.0.2.1')).toBe(0);
  });

  it('security headers, no CORS, /metrics from loopback', async () => {
    const res = await fetch(`${url}/`, { headers: { origin: 'https://evil.example' } });
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await fetch(`${url}/api/alerts`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
  });
});

describe('first admin', () => {
  it('without HUB_BOOTSTRAP_ADMIN: a one-time setup token, usable once', async () => {
    const hub = await startHub({ bootstrapAdmin: undefined as unknown as string });
    try {
      const token = (hub.security.auth as unknown as { setupToken: string }).setupToken;
      expect(token).toBeTruthy();
      expect(await (await fetch(`${hub.httpUrl}/api/auth/setup`)).json()).toEqual({ open: true });
      expect((await post(`${hub.httpUrl}/api/auth/setup`, { token: 'wrong', username: 'root', password: PW })).status).toBe(403);
      expect((await post(`${hub.httpUrl}/api/auth/setup`, { token, username: 'root', password: 'short' })).status).toBe(400);
      expect((await post(`${hub.httpUrl}/api/auth/setup`, { token, username: 'root', password: PW })).status).toBe(201);
      expect((await post(`${hub.httpUrl}/api/auth/setup`, { token, username: 'root2', password: PW })).status).toBe(403);
      expect((await post(`${hub.httpUrl}/api/auth/login`, { username: 'root', password: PW })).status).toBe(200);
    } finally {
      await hub.stop();
    }
  });

  it('HUB_BOOTSTRAP_ADMIN creates the admin only while no user exists', async () => {
    const dataDir = tempDataDir('boot');
    const hub = await startHub({ dataDir, bootstrapAdmin: `first:${PW}` });
    await hub.stop();
    const again = await startHub({ dataDir, bootstrapAdmin: `second:${PW}` });
    try {
      expect((await post(`${again.httpUrl}/api/auth/login`, { username: 'first', password: PW })).status).toBe(200);
      expect((await post(`${again.httpUrl}/api/auth/login`, { username: 'second', password: PW })).status).toBe(401);
    } finally {
      await again.stop();
    }
  });
});
