// End to end: the real hub (server/src/main.ts as its own process, embedded broker, temp DATA_DIR,
// free loopback ports) serving the built dashboard, driven in Debian's chromium.
// A smoke alarm published over MQTT must reach the control room within 2 s; a grid worker
// acknowledges it on /worker and the control room follows; the hub restarting shows the
// "unreachable" banner and the dashboard resynchronises. Screenshots go to test/artifacts/.
// Parts that need routes the hub does not serve yet (alerts, /ws, auth) skip with the reason.
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import type { Browser, Page } from 'playwright-core';
import { startHubProcess, tempDataDir, type HubProcess } from '../helpers/hub.ts';
import { freePort } from '../helpers/ports.ts';
import { artifactPath, hasChromium, launchChromium, waitFor } from '../dashboard/browser.ts';
import { ensureDashboardBuilt } from '../dashboard/build.ts';

const BIG = { width: 1920, height: 1080 };
const PHONE = { width: 390, height: 844 };
const ADMIN = { username: 'e2e-admin', password: `pw-${randomBytes(9).toString('hex')}` };
const WORKER = { username: 'e2e-worker', password: `pw-${randomBytes(9).toString('hex')}` };

interface Caps {
  alerts: boolean;
  auth: boolean;
  ws: boolean;
  provisioning: boolean;
}

describe.skipIf(!hasChromium)('dashboard against the real hub', () => {
  let browser: Browser;
  let hub: HubProcess;
  let ports: { PORT: string; MQTT_PORT: string };
  let dataDir: string;
  let caps: Caps;
  let token: string | null = null;
  /** Who logs in on /worker: a grid worker of cell g1 when the hub has accounts. */
  let workerLogin = ADMIN;
  const clients: MqttClient[] = [];
  const devicePasswords = new Map<string, { username: string; password: string }>();

  const api = async (path: string, init: RequestInit = {}) =>
    fetch(hub.httpUrl + path, {
      ...init,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers ?? {}) },
    });

  async function start(): Promise<void> {
    hub = await startHubProcess({ ...ports, DATA_DIR: dataDir, HUB_BOOTSTRAP_ADMIN: `${ADMIN.username}:${ADMIN.password}`, LOG_LEVEL: 'warn' });
  }

  async function probeWs(): Promise<boolean> {
    return new Promise((resolve) => {
      const ws = new WebSocket(hub.httpUrl.replace('http', 'ws') + '/ws', { headers: token ? { authorization: `Bearer ${token}` } : {} });
      const done = (v: boolean) => {
        clearTimeout(timer);
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        resolve(v);
      };
      const timer = setTimeout(() => done(false), 5000);
      ws.once('open', () => done(true));
      ws.once('error', () => done(false));
      ws.once('unexpected-response', () => done(false));
    });
  }

  async function probe(): Promise<Caps> {
    const me = await api('/api/auth/me');
    const auth = me.status !== 404;
    if (auth) {
      const r = await api('/api/auth/login', { method: 'POST', body: JSON.stringify(ADMIN) });
      if (r.ok) token = ((await r.json()) as { token?: string }).token ?? null;
    }
    const alerts = (await api('/api/alerts?state=open')).status !== 404;
    const prov = await api('/api/devices', { method: 'OPTIONS' }).catch(() => null);
    return { auth, alerts, ws: await probeWs(), provisioning: auth && !!prov && prov.status !== 404 };
  }

  /** An MQTT client for one device: provisioned through the API when the hub has accounts. */
  async function deviceClient(id: string, kind: string, cell: string): Promise<MqttClient> {
    let creds = devicePasswords.get(id);
    if (!creds && caps.auth) {
      const r = await api('/api/devices', {
        method: 'POST',
        body: JSON.stringify({ id, kind, communityId: 'c1', gridCellId: cell, buildingId: `${cell}-b1`, floor: 3, name: `e2e ${id}` }),
      });
      if (r.ok) {
        const body = (await r.json()) as { mqtt?: { username: string; password: string } };
        if (body.mqtt) devicePasswords.set(id, (creds = body.mqtt));
      }
    }
    const client = await mqtt.connectAsync(hub.mqttUrl, {
      // A device connects with its own id as client id (the broker refuses any other).
      clientId: id,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      ...(creds ? { username: creds.username, password: creds.password } : {}),
    });
    clients.push(client);
    return client;
  }

  async function publish(id: string, kind: string, cell: string, channel: string, payload: unknown): Promise<void> {
    const c = await deviceClient(id, kind, cell);
    await c.publishAsync(`community/c1/${kind}/${id}/${channel}`, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 });
    await c.endAsync();
  }

  async function open(path: string, viewport = BIG, who = ADMIN): Promise<Page> {
    const ctx = await browser.newContext({ viewport });
    await ctx.addInitScript(() => {
      localStorage.setItem('hub.locale', 'en'); // the CI image has no CJK font; screenshots stay legible
      localStorage.setItem('hub.muted', '1');
    });
    const p = await ctx.newPage();
    p.on('pageerror', (e) => console.error('pageerror', e.message));
    await p.goto(hub.httpUrl + path);
    if (caps.auth) {
      await p.waitForSelector('[data-testid=login-form]', { timeout: 30_000 });
      await p.fill('input[name=username]', who.username);
      await p.fill('input[name=password]', who.password);
      await p.click('button[type=submit]');
    }
    await p.waitForSelector(path.startsWith('/worker') ? '[data-testid=worker-view]' : '[data-testid=control-room]', { timeout: 30_000 });
    // One row per alert (not folded by incident), so each test can find its own alarm's row.
    if (!path.startsWith('/worker')) await p.locator('[data-testid=fold-toggle]').uncheck({ timeout: 30_000 });
    return p;
  }

  const rowState = (p: Page, id: string) =>
    p.locator(`[data-testid=alert-row][data-alert-id="${id}"]`).getAttribute('data-state', { timeout: 1000 }).catch(() => null);

  beforeAll(async () => {
    await ensureDashboardBuilt();
    ports = { PORT: String(await freePort()), MQTT_PORT: String(await freePort()) };
    dataDir = tempDataDir('dash-e2e');
    await start();
    caps = await probe();
    if (caps.auth) {
      const r = await api('/api/users', { method: 'POST', body: JSON.stringify({ ...WORKER, role: 'worker', cells: ['g1'], displayName: '网格员 E2E' }) });
      if (r.ok) workerLogin = WORKER;
      else console.warn(`could not create a worker account (HTTP ${r.status}); /worker is tested as the admin`);
    }
    console.info('hub capabilities seen by the dashboard e2e:', caps);
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    for (const c of clients) c.end(true);
    await browser?.close();
    await hub?.kill();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('serves the control room, lists a device that reported, opens plan, table and figures', async () => {
    await publish('s1', 'smoke', 'g1', 'status', 'online');
    await publish('s1', 'smoke', 'g1', 'telemetry', { smoke_obscuration_pct_per_m: 0.4, temperature_c: 22.5, battery_pct: 91 });
    await waitFor(async () => ((await (await api('/api/devices/s1')).json()) as { device?: unknown }).device, 20_000, 'device s1 registered');

    const p = await open('/');
    await p.click('[data-testid=tab-devices]');
    await p.waitForSelector('[data-testid=device-row][data-device-id="s1"]', { timeout: 20_000 });
    await p.screenshot({ path: artifactPath('e2e-devices.png') });
    await p.click('[data-testid=tab-plan]');
    await p.waitForSelector('[data-testid=device-marker][data-device-id="s1"]', { timeout: 20_000 });
    await p.click('[data-testid=device-marker][data-device-id="s1"]');
    await p.waitForSelector('[data-testid=device-panel]');
    await waitFor(async () => (await p.locator('[data-testid=device-panel] .uplot').count()) > 0, 20_000, 'a chart of stored telemetry');
    await p.screenshot({ path: artifactPath('e2e-plan-device.png') });
    await p.click('[data-testid=tab-figures]');
    await p.waitForSelector('[data-testid=key-figures]');
    await p.screenshot({ path: artifactPath('e2e-figures.png') });
    await p.context().close();
  });

  it('a smoke alarm reaches the control room within 2 s; acknowledged on /worker, the control room follows', async (ctx) => {
    if (!caps.alerts) ctx.skip('the hub answers 404 on /api/alerts: alerts (issue 4) not implemented yet');
    if (!caps.ws) ctx.skip('the hub does not accept a WebSocket on /ws yet (issue 4)');

    const room = await open('/');
    await waitFor(async () => (await room.getAttribute('[data-testid=conn-state]', 'data-state')) === 'open', 20_000, 'control room live');
    const phone = await open('/worker', PHONE, workerLogin);
    await waitFor(async () => (await phone.locator('[data-testid=worker-view]').count()) > 0, 20_000, 'worker view');

    const before = new Set(
      await room.$$eval('[data-testid=alert-row]', (els) => els.map((e) => e.getAttribute('data-alert-id') ?? '')),
    );
    const t0 = Date.now();
    await publish('s1', 'smoke', 'g1', 'event', { type: 'alarm' });
    const id = await waitFor(
      async () =>
        (await room.$$eval('[data-testid=alert-row][data-severity=critical]', (els) => els.map((e) => e.getAttribute('data-alert-id') ?? ''))).find(
          (x) => !before.has(x),
        ),
      10_000,
      'the alarm in the control room',
    );
    const arrivalMs = Date.now() - t0;
    console.info(`smoke alarm → control room: ${arrivalMs} ms`);
    expect(arrivalMs).toBeLessThan(2000);
    expect(await rowState(room, id)).toBe('open');
    await room.screenshot({ path: artifactPath('e2e-control-room.png') });

    await room.click(`[data-testid=alert-row][data-alert-id="${id}"]`);
    await room.waitForSelector('[data-testid=alert-drawer]');
    await room.screenshot({ path: artifactPath('e2e-alert-drawer.png') });

    await phone.waitForSelector(`[data-testid=worker-alert][data-alert-id="${id}"]`, { timeout: 10_000 });
    await phone.screenshot({ path: artifactPath('e2e-worker.png') });
    await phone.click(`[data-testid=worker-alert][data-alert-id="${id}"] [data-testid=worker-ack]`);
    await waitFor(async () => (await rowState(room, id)) === 'acknowledged', 5000, 'control room shows the acknowledgement');
    expect(await room.textContent('[data-testid=drawer-state]')).toContain('Acknowledged');
    if (caps.auth) expect(await room.textContent('[data-testid=alert-drawer]')).toContain(workerLogin.username);

    await phone.fill(`[data-testid=worker-alert][data-alert-id="${id}"] [data-testid=worker-note]`, 'e2e: checked on site, kitchen smoke');
    await phone.click(`[data-testid=worker-alert][data-alert-id="${id}"] [data-testid=worker-resolve]`);
    await waitFor(async () => (await room.locator(`[data-testid=alert-row][data-alert-id="${id}"]`).count()) === 0, 10_000, 'resolved alert leaves the queue');
    await room.context().close();
    await phone.context().close();
  });

  it('shows "hub unreachable" while the hub is down and resynchronises when it is back', async (ctx) => {
    if (!caps.ws) ctx.skip('the hub does not accept a WebSocket on /ws yet (issue 4)');
    const room = await open('/');
    await waitFor(async () => (await room.getAttribute('[data-testid=conn-state]', 'data-state')) === 'open', 20_000, 'control room live');

    await hub.kill();
    await room.waitForSelector('[data-testid=hub-unreachable]', { timeout: 15_000 });
    await room.screenshot({ path: artifactPath('e2e-unreachable.png') });
    await start();
    // An alarm raised right after the restart, possibly before the dashboard reconnects: it must
    // show up either as a push or through the resync that follows the reconnect.
    if (caps.alerts) await publish('s2', 'smoke', 'g2', 'event', { type: 'alarm' });
    await waitFor(async () => (await room.getAttribute('[data-testid=conn-state]', 'data-state')) === 'open', 60_000, 'reconnected');
    await waitFor(async () => (await room.locator('[data-testid=hub-unreachable]').count()) === 0, 10_000, 'banner gone');
    if (caps.alerts) {
      await waitFor(
        async () => (await room.locator('[data-testid=alert-row][data-severity=critical]').allTextContents()).some((t) => t.includes('s2')),
        15_000,
        'the alarm raised during the outage',
      );
    }
    await room.context().close();
  });
});
