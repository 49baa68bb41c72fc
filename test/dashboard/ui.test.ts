// The dashboard in Debian's chromium against the real hub (server/src, started in this process on
// free loopback ports with a temp DATA_DIR and a HUB_CONFIG file): queue, drawer actions, login,
// worker view, text stays text, reconnect with resync, language, a 50,000-device table, and a hub
// without grid config. Alerts come from devices publishing over MQTT with a gateway credential.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import type { Hub } from '../../server/src/hub.ts';
import type { HubConfig } from '../../server/src/config.ts';
import { startHub, tempDataDir } from '../helpers/hub.ts';
import { freePort } from '../helpers/ports.ts';
import { adminSession, createUser, TEST_ADMIN, type HubSession, type MqttLogin } from '../helpers/auth.ts';
import { artifactPath, hasChromium, launchChromium, waitFor } from './browser.ts';
import { ensureDashboardBuilt } from './build.ts';
import { loginThroughForm, newPage } from './login-page.ts';

const BIG = { width: 1920, height: 1080 };
const PHONE = { width: 390, height: 844 };
const OPERATOR = { username: 'op', password: `op-${randomBytes(8).toString('hex')}` };
const WORKER = { username: 'li', password: `li-${randomBytes(8).toString('hex')}` };
const XSS_NAME = '<img src=x onerror="window.__pwned=1">火警探头';

type Login = { username: string; password: string };
type Dev = { id: string; kind: string; communityId: string; gridCellId?: string; buildingId?: string; floor?: number; name?: string };

/** One community, two cells, a few smoke sensors (one with HTML in its name). */
const SMALL_CONFIG = {
  communities: [
    {
      id: 'c1',
      name: { zh: '示范社区', en: 'Demo community' },
      cells: [
        { id: 'g1', name: { zh: '第一网格', en: 'Cell 1' }, buildings: [{ id: 'b1', floors: 18 }, { id: 'b2', floors: 12 }] },
        { id: 'g2', name: { zh: '第二网格', en: 'Cell 2' }, buildings: [{ id: 'b3', floors: 6 }] },
      ],
    },
  ],
  devices: [
    ...Array.from({ length: 8 }, (_, i): Dev => ({ id: `s${i + 1}`, kind: 'smoke', communityId: 'c1', gridCellId: 'g1', buildingId: i % 2 ? 'b2' : 'b1', floor: i + 1 })),
    ...Array.from({ length: 4 }, (_, i): Dev => ({ id: `t${i + 1}`, kind: 'smoke', communityId: 'c1', gridCellId: 'g2', buildingId: 'b3', floor: i + 1 })),
    { id: 'xss1', kind: 'smoke', communityId: 'c1', gridCellId: 'g2', buildingId: 'b3', floor: 2, name: XSS_NAME },
  ] as Dev[],
};

describe.skipIf(!hasChromium)('dashboard in the browser (real hub)', () => {
  let browser: Browser;
  const hubs = new Set<Hub>();
  const dirs: string[] = [];
  const clients: MqttClient[] = [];

  function writeConfig(dir: string, config: unknown): string {
    const file = path.join(dir, 'hub-config.json');
    fs.writeFileSync(file, JSON.stringify(config));
    return file;
  }
  async function hubOn(overrides: Partial<HubConfig>): Promise<Hub> {
    const h = await startHub(overrides);
    hubs.add(h);
    return h;
  }
  async function stopHub(h: Hub): Promise<void> {
    hubs.delete(h);
    await h.stop();
  }
  /** A fresh hub: its own DATA_DIR (removed afterwards), optionally a HUB_CONFIG file. */
  async function freshHub(name: string, config?: unknown): Promise<{ hub: Hub; dataDir: string; configFile?: string; session: HubSession }> {
    const dataDir = tempDataDir(name);
    dirs.push(dataDir);
    const configFile = config === undefined ? undefined : writeConfig(dataDir, config);
    const hub = await hubOn({ dataDir, ...(configFile ? { configFile } : {}) });
    const session = await adminSession(hub.httpUrl, `gw-${name}`);
    return { hub, dataDir, configFile, session };
  }

  /** A device (through the hub's gateway credential) publishing one message. */
  async function publish(mqttUrl: string, gw: MqttLogin, d: { id: string; kind?: string; communityId?: string }, channel: string, payload: unknown) {
    const c = await mqtt.connectAsync(mqttUrl, {
      clientId: `ui-${d.id}-${randomBytes(3).toString('hex')}`,
      reconnectPeriod: 0,
      connectTimeout: 20_000,
      username: gw.username,
      password: gw.password,
    });
    clients.push(c);
    await c.publishAsync(`community/${d.communityId ?? 'c1'}/${d.kind ?? 'smoke'}/${d.id}/${channel}`, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 });
    await c.endAsync();
  }

  interface ApiAlert { id: string; deviceId: string; state: string; severity: string; type: string; title?: string; acknowledgedBy?: string | null; assignee?: string | null }
  async function unresolved(hub: Hub, s: HubSession): Promise<ApiAlert[]> {
    const r = await s.fetch(`${hub.httpUrl}/api/alerts?state=unresolved&limit=10000`);
    if (!r.ok) throw new Error(`GET /api/alerts: HTTP ${r.status}`);
    return ((await r.json()) as { alerts: ApiAlert[] }).alerts;
  }
  async function getAlert(hub: Hub, s: HubSession, id: string): Promise<ApiAlert> {
    return ((await (await s.fetch(`${hub.httpUrl}/api/alerts/${id}`)).json()) as { alert: ApiAlert }).alert;
  }
  /** Publishes an event and waits for the unresolved alert of that device and type on the hub. */
  async function raise(hub: Hub, s: HubSession, deviceId: string, event: 'alarm' | 'tamper', communityId = 'c1'): Promise<ApiAlert> {
    await publish(hub.mqttUrl, s.gateway, { id: deviceId, communityId }, 'event', { type: event });
    const type = event === 'alarm' ? 'fire_alarm' : 'smoke_tamper';
    return waitFor(async () => (await unresolved(hub, s)).find((a) => a.deviceId === deviceId && a.type === type), 30_000, `${type} of ${deviceId} on the hub`);
  }

  /** A browser context with a locale, logged in through the login form. */
  async function open(url: string, who: Login | null, opts: { viewport?: { width: number; height: number }; locale?: 'en' | 'zh-CN' } = {}): Promise<Page> {
    const p = await newPage(browser, { viewport: opts.viewport ?? BIG, locale: opts.locale ?? 'en', keepLocale: true });
    await p.goto(url);
    if (who) {
      await loginThroughForm(p, who);
      const worker = new URL(url).pathname.startsWith('/worker');
      await p.waitForSelector(worker ? '[data-testid=worker-view]' : '[data-testid=control-room]', { timeout: 60_000 });
      // one row per alert (not folded by incident), so each alert has its own row
      if (!worker) await p.locator('[data-testid=fold-toggle]').uncheck({ timeout: 30_000 });
    }
    return p;
  }
  const rowState = (p: Page, id: string) =>
    p.locator(`[data-testid=alert-row][data-alert-id="${id}"]`).getAttribute('data-state', { timeout: 1000 }).catch(() => null);
  const connOpen = (p: Page) =>
    waitFor(async () => (await p.getAttribute('[data-testid=conn-state]', 'data-state', { timeout: 1000 })) === 'open', 60_000, 'live connection open');

  beforeAll(async () => {
    await ensureDashboardBuilt();
    browser = await launchChromium();
  }, 240_000);
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await browser?.close();
    for (const h of [...hubs]) await stopHub(h).catch((e) => console.error('hub stop', e));
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }, 120_000);

  // One hub with the small grid for the scenarios that do not stop it or need a special config.
  let main: Awaited<ReturnType<typeof freshHub>>;
  const mainHub = async () => {
    if (!main) {
      main = await freshHub('ui-main', SMALL_CONFIG);
      await createUser(main.hub.httpUrl, main.session.token, { ...OPERATOR, role: 'operator', communities: ['c1'] });
      await createUser(main.hub.httpUrl, main.session.token, { ...WORKER, role: 'worker', cells: ['g2'], displayName: '李娜' });
    }
    return main;
  };

  it('shows the queue by severity, counts, and a new critical alert within 2 s', async () => {
    const { hub, session } = await mainHub();
    await raise(hub, session, 's1', 'alarm');
    await raise(hub, session, 's2', 'tamper');
    await raise(hub, session, 's3', 'alarm');
    await raise(hub, session, 's4', 'tamper');
    const critical = (await unresolved(hub, session)).filter((a) => a.severity === 'critical').length;

    const p = await open(hub.httpUrl + '/', OPERATOR);
    await waitFor(async () => (await p.locator('[data-testid=alert-row]').count()) >= 4, 30_000, 'alert rows');
    await connOpen(p);
    const sevs = await p.$$eval('[data-testid=alert-row]', (els) => els.map((e) => e.getAttribute('data-severity')));
    const rank = { critical: 0, major: 1, minor: 2, info: 3 } as Record<string, number>;
    expect(sevs.map((s) => rank[s!])).toEqual([...sevs.map((s) => rank[s!])].sort());
    await waitFor(async () => (await p.getAttribute('[data-testid=count-critical]', 'data-count')) === String(critical), 10_000, `${critical} critical counted`);

    const t0 = Date.now();
    await publish(hub.mqttUrl, session.gateway, { id: 's5' }, 'event', { type: 'alarm' });
    const a = await waitFor(async () => (await unresolved(hub, session)).find((x) => x.deviceId === 's5'), 10_000, 'alarm of s5');
    await p.waitForSelector(`[data-testid=alert-row][data-alert-id="${a.id}"]`, { timeout: 10_000 });
    const latency = Date.now() - t0;
    console.info(`MQTT alarm → control-room row: ${latency} ms`);
    expect(latency).toBeLessThan(2000);
    await waitFor(async () => (await p.getAttribute('[data-testid=count-critical]', 'data-count')) === String(critical + 1), 10_000, 'count +1');
    expect(await p.locator(`[data-testid=alert-row][data-alert-id="${a.id}"]`).evaluate((e) => e.classList.contains('flash'))).toBe(true);
    await p.screenshot({ path: artifactPath('ui-control-room.png') });
    await p.context().close();
  });

  it('acknowledges, assigns and resolves from the drawer; a resolve needs a note, notes stay text', async () => {
    const { hub, session } = await mainHub();
    const a = await raise(hub, session, 's6', 'alarm');
    const p = await open(hub.httpUrl + '/', OPERATOR);
    await p.click(`[data-testid=alert-row][data-alert-id="${a.id}"]`);
    await p.waitForSelector('[data-testid=alert-drawer]');
    expect(await p.textContent('[data-testid=alert-drawer] h2')).toBe('Fire alarm');
    await p.click('[data-testid=drawer-ack]');
    await waitFor(async () => (await rowState(p, a.id)) === 'acknowledged', 15_000, 'acked');
    expect((await getAlert(hub, session, a.id)).acknowledgedBy).toBe(OPERATOR.username);
    await p.fill('[data-testid=alert-drawer] input', 'li.wei');
    await p.click('[data-testid=drawer-assign]');
    await waitFor(async () => (await p.textContent('[data-testid=drawer-assignee]')) === 'li.wei', 15_000, 'assigned');
    expect((await getAlert(hub, session, a.id)).assignee).toBe('li.wei');
    await p.click('[data-testid=drawer-resolve]');
    await p.waitForSelector('[data-testid=alert-drawer] .error');
    expect((await getAlert(hub, session, a.id)).state).toBe('acknowledged');
    await p.fill('[data-testid=drawer-note]', '<script>window.__pwned=2</script> 误报，已复位');
    await p.click('[data-testid=drawer-resolve]');
    await waitFor(async () => (await getAlert(hub, session, a.id)).state === 'resolved', 15_000, 'resolved on the hub');
    await waitFor(async () => (await p.locator(`[data-testid=alert-row][data-alert-id="${a.id}"]`).count()) === 0, 15_000, 'row gone');
    expect(await p.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await p.context().close();
  });

  it('a wrong password shows an error; the right one logs in', async () => {
    const { hub } = await mainHub();
    const p = await open(hub.httpUrl + '/', null);
    await loginThroughForm(p, { username: OPERATOR.username, password: 'definitely-not-the-password' });
    await p.waitForSelector('.login .error', { timeout: 30_000 });
    expect(await p.textContent('.login .error')).toMatch(/\S/);
    expect(await p.locator('[data-testid=control-room]').count()).toBe(0);
    await p.fill('input[name=password]', OPERATOR.password);
    await p.click('button[type=submit]');
    await p.waitForSelector('[data-testid=control-room]', { timeout: 60_000 });
    expect(await p.locator('.login .error').count()).toBe(0);
    await p.context().close();
  });

  it('the worker view shows only the worker\'s cells, and a worker ack shows in the control room', async () => {
    const { hub, session } = await mainHub();
    const mine = await raise(hub, session, 't1', 'alarm'); // g2: li's cell
    const other = await raise(hub, session, 's7', 'alarm'); // g1

    const room = await open(hub.httpUrl + '/', OPERATOR);
    await room.waitForSelector(`[data-testid=alert-row][data-alert-id="${mine.id}"]`, { timeout: 30_000 });
    await room.waitForSelector(`[data-testid=alert-row][data-alert-id="${other.id}"]`, { timeout: 30_000 });
    await connOpen(room);

    const phone = await open(hub.httpUrl + '/worker', WORKER, { viewport: PHONE });
    await phone.waitForSelector(`[data-testid=worker-alert][data-alert-id="${mine.id}"]`, { timeout: 30_000 });
    expect(await phone.locator(`[data-testid=worker-alert][data-alert-id="${other.id}"]`).count()).toBe(0);
    // nothing from cell g1 at all (earlier scenarios raised several there)
    const g1 = new Set((await unresolved(hub, session)).filter((a) => a.deviceId.startsWith('s')).map((a) => a.id));
    const shown = await phone.$$eval('[data-testid=worker-alert]', (els) => els.map((e) => e.getAttribute('data-alert-id') ?? ''));
    expect(shown.filter((id) => g1.has(id))).toEqual([]);
    // a new alarm in g1 does not reach the worker; one in g2 does
    const later = await raise(hub, session, 's8', 'alarm');
    const mine2 = await raise(hub, session, 't2', 'alarm');
    await phone.waitForSelector(`[data-testid=worker-alert][data-alert-id="${mine2.id}"]`, { timeout: 15_000 });
    expect(await phone.locator(`[data-testid=worker-alert][data-alert-id="${later.id}"]`).count()).toBe(0);
    await phone.screenshot({ path: artifactPath('ui-worker.png') });

    const card = `[data-testid=worker-alert][data-alert-id="${mine.id}"]`;
    await phone.click(`${card} [data-testid=worker-ack]`);
    await waitFor(async () => (await rowState(room, mine.id)) === 'acknowledged', 10_000, 'control room updated');
    expect((await getAlert(hub, session, mine.id)).acknowledgedBy).toBe(WORKER.username);

    await phone.fill(`${card} [data-testid=worker-note]`, '现场检查：烹饪油烟');
    await phone.click(`${card} [data-testid=worker-resolve]`);
    await waitFor(async () => (await phone.locator(card).count()) === 0, 15_000, 'resolved card gone');
    await waitFor(async () => (await getAlert(hub, session, mine.id)).state === 'resolved', 15_000, 'resolved on the hub');
    await room.context().close();
    await phone.context().close();
  });

  it('HTML in a device name (config file and provisioning) stays text everywhere', async () => {
    const { hub, session } = await mainHub();
    // a second one through POST /api/devices
    const provisioned = '<img src=x onerror="window.__pwned=3"><b>阀门</b>';
    const r = await session.fetch(`${hub.httpUrl}/api/devices`, {
      method: 'POST',
      body: JSON.stringify({ id: 'xss2', kind: 'smoke', communityId: 'c1', gridCellId: 'g2', buildingId: 'b3', floor: 4, name: provisioned }),
    });
    expect(r.status).toBe(201);
    const a1 = await raise(hub, session, 'xss1', 'alarm');
    const a2 = await raise(hub, session, 'xss2', 'tamper');

    // the names travel as they are in what the dashboard receives
    expect((await getAlert(hub, session, a1.id)).title).toContain(XSS_NAME);
    expect((await getAlert(hub, session, a2.id)).title).toContain(provisioned);

    const p = await open(hub.httpUrl + '/', OPERATOR);
    await p.waitForSelector(`[data-testid=alert-row][data-alert-id="${a1.id}"]`, { timeout: 30_000 });
    await p.click(`[data-testid=alert-row][data-alert-id="${a1.id}"]`);
    await p.waitForSelector('[data-testid=alert-drawer]');
    await p.click('[data-testid=tab-devices]');
    await p.fill('[data-testid=device-search]', 'xss');
    await waitFor(async () => (await p.locator('[data-testid=device-row]').count()) === 2, 15_000, 'two xss rows');
    expect(await p.textContent('[data-testid=device-row][data-device-id="xss1"]')).toContain(XSS_NAME);
    expect(await p.textContent('[data-testid=device-row][data-device-id="xss2"]')).toContain(provisioned);
    await p.click('[data-testid=device-row][data-device-id="xss2"]');
    await p.waitForSelector('[data-testid=device-panel][data-device-id="xss2"]');
    expect(await p.textContent('[data-testid=device-panel]')).toContain(provisioned);

    // the worker's phone shows both alerts (their titles carry the names) without running anything
    const phone = await open(hub.httpUrl + '/worker', WORKER, { viewport: PHONE });
    await phone.waitForSelector(`[data-testid=worker-alert][data-alert-id="${a1.id}"]`, { timeout: 30_000 });
    await phone.waitForSelector(`[data-testid=worker-alert][data-alert-id="${a2.id}"]`, { timeout: 30_000 });

    for (const page of [p, phone]) {
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(await page.locator('img[src=x]').count()).toBe(0);
      expect(await page.locator('[data-testid=device-row] b, [data-testid=device-panel] b, [data-testid=worker-alert] b').count()).toBe(0);
    }
    await p.context().close();
    await phone.context().close();
  });

  it('switches language and remembers it across a reload', async () => {
    const { hub } = await mainHub();
    const p = await open(hub.httpUrl + '/', OPERATOR, { locale: 'zh-CN' });
    await p.waitForSelector('[data-testid=tab-plan]');
    expect(await p.textContent('[data-testid=tab-plan]')).toBe('平面图');
    await p.click('[data-testid=lang-switch]');
    await waitFor(async () => (await p.textContent('[data-testid=tab-plan]')) === 'Plan', 10_000, 'English');
    await p.reload();
    await p.waitForSelector('[data-testid=tab-plan]', { timeout: 60_000 });
    expect(await p.textContent('[data-testid=tab-plan]')).toBe('Plan');
    expect(await p.evaluate(() => document.documentElement.lang)).toBe('en');
    await p.context().close();
  });

  it('shows a banner while the hub is down and resynchronises what changed meanwhile', async () => {
    const dataDir = tempDataDir('ui-resync');
    dirs.push(dataDir);
    const configFile = writeConfig(dataDir, SMALL_CONFIG);
    const ports = { port: await freePort(), mqttPort: await freePort() };
    let hub = await hubOn({ dataDir, configFile, ...ports });
    const session = await adminSession(hub.httpUrl, 'gw-resync');
    const kept = await raise(hub, session, 's1', 'alarm');
    const toResolve = await raise(hub, session, 's2', 'tamper');

    const p = await open(hub.httpUrl + '/', TEST_ADMIN);
    await p.waitForSelector(`[data-testid=alert-row][data-alert-id="${toResolve.id}"]`, { timeout: 30_000 });
    await connOpen(p);

    await stopHub(hub);
    await p.waitForSelector('[data-testid=hub-unreachable]', { timeout: 30_000 });
    await p.screenshot({ path: artifactPath('ui-unreachable.png') });

    // While the page cannot reach it: the same DATA_DIR served on ports the page does not know.
    // One alert is resolved, a new one is raised over MQTT; no push can reach the page.
    const side = await hubOn({ dataDir, configFile, port: 0, mqttPort: 0 });
    const sideSession = await adminSession(side.httpUrl, 'gw-resync-side');
    const res = await sideSession.fetch(`${side.httpUrl}/api/alerts/${toResolve.id}/resolve`, { method: 'POST', body: JSON.stringify({ note: 'fixed while the page was away' }) });
    expect(res.status).toBe(200);
    const missed = await raise(side, sideSession, 't3', 'alarm');
    await stopHub(side);
    expect(await p.locator('[data-testid=hub-unreachable]').count()).toBe(1);

    hub = await hubOn({ dataDir, configFile, ...ports });
    await connOpen(p);
    await waitFor(async () => (await p.locator('[data-testid=hub-unreachable]').count()) === 0, 15_000, 'banner gone');
    await p.waitForSelector(`[data-testid=alert-row][data-alert-id="${missed.id}"]`, { timeout: 30_000 });
    await waitFor(async () => (await p.locator(`[data-testid=alert-row][data-alert-id="${toResolve.id}"]`).count()) === 0, 15_000, 'resolved one gone');
    expect(await p.locator(`[data-testid=alert-row][data-alert-id="${kept.id}"]`).count()).toBe(1);
    await p.context().close();
    await stopHub(hub);
  });

  it('keeps 50,000 devices in a virtual table: few DOM rows, search, scroll to the end, aggregated plan', async () => {
    const kinds = ['smoke', 'smoke', 'smoke', 'gate', 'camera', 'fire_station'] as const;
    const cells = Array.from({ length: 8 }, (_, c) => ({
      id: `g${c + 1}`,
      buildings: Array.from({ length: 6 }, (_, b) => ({ id: `g${c + 1}-b${b + 1}`, floors: 18 })),
    }));
    const devices: Dev[] = Array.from({ length: 50_000 }, (_, i) => {
      const c = (i % 8) + 1;
      return {
        id: `d${i}`,
        kind: kinds[i % kinds.length]!,
        communityId: 'c1',
        gridCellId: `g${c}`,
        buildingId: `g${c}-b${(Math.floor(i / 8) % 6) + 1}`,
        floor: (i % 18) + 1,
        ...(i % 3 === 0 ? { name: `设备 ${i}` } : {}),
      };
    });
    const t0 = Date.now();
    const { hub, session } = await freshHub('ui-big', { communities: [{ id: 'c1', name: { zh: '示范社区', en: 'Demo community' }, cells }], devices });
    console.info(`hub with 50,000 configured devices up in ${Date.now() - t0} ms`);
    // some of them report and one alarms, so the table is not uniformly "offline"
    await publish(hub.mqttUrl, session.gateway, { id: 'd6' }, 'status', 'online');
    await raise(hub, session, 'd12', 'alarm');

    const p = await open(hub.httpUrl + '/', TEST_ADMIN);
    await p.click('[data-testid=tab-devices]');
    await waitFor(async () => (await p.textContent('[data-testid=devices-shown]', { timeout: 1000 }))?.includes('50000 shown'), 90_000, 'devices loaded');
    const rows = await p.locator('[data-testid=device-row]').count();
    expect(rows).toBeGreaterThan(5);
    expect(rows).toBeLessThan(120);
    await p.locator('[data-testid=device-rows]').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await p.waitForSelector('[data-testid=device-row][data-device-id="d49999"]', { timeout: 15_000 });
    expect(await p.locator('[data-testid=device-row]').count()).toBeLessThan(120);
    await p.fill('[data-testid=device-search]', 'd4999');
    await waitFor(async () => (await p.textContent('[data-testid=devices-shown]'))?.startsWith('11 of'), 15_000, 'search');
    await p.screenshot({ path: artifactPath('ui-devices.png') });
    await p.click('[data-testid=tab-plan]');
    await p.waitForSelector('[data-testid=plan-svg]', { timeout: 30_000 });
    const markers = await p.locator('[data-testid=device-marker]').count();
    expect(markers).toBeGreaterThan(0);
    expect(markers).toBeLessThan(3000); // aggregated: only alerting/offline devices drawn, capped
    await p.context().close();
    await stopHub(hub);
  }, 240_000);

  it('works on a hub without grid config: plan generated from devices, device charts open, events stay text', async () => {
    const { hub, session } = await freshHub('ui-nogrid');
    const grid = (await (await session.fetch(`${hub.httpUrl}/api/grid`)).json()) as { communities: unknown[] };
    expect(grid.communities).toEqual([]);
    for (let i = 1; i <= 6; i++) {
      const r = await session.fetch(`${hub.httpUrl}/api/devices`, {
        method: 'POST',
        body: JSON.stringify({ id: `n${i}`, kind: 'smoke', communityId: 'c9', gridCellId: `z${(i % 2) + 1}`, buildingId: `zb${i % 3}`, floor: i }),
      });
      expect(r.status).toBe(201);
    }
    const now = Date.now();
    for (let k = 5; k >= 0; k--) {
      await publish(hub.mqttUrl, session.gateway, { id: 'n1', communityId: 'c9' }, 'telemetry', {
        ts: now - k * 60_000,
        smoke_obscuration_pct_per_m: 0.2 + k / 100,
        temperature_c: 21 + k,
        battery_pct: 90 - k,
      });
    }
    await publish(hub.mqttUrl, session.gateway, { id: 'n1', communityId: 'c9' }, 'event', { type: 'test', note: '<b>not html</b>' });
    await raise(hub, session, 'n2', 'alarm', 'c9');
    await waitFor(
      async () => ((await (await session.fetch(`${hub.httpUrl}/api/devices/n1/events`)).json()) as { events?: unknown[] }).events?.length,
      30_000,
      'event of n1 stored',
    );

    const p = await open(hub.httpUrl + '/', TEST_ADMIN);
    await p.click('[data-testid=tab-plan]');
    await p.waitForSelector('[data-testid=device-marker][data-device-id="n1"]', { timeout: 30_000 });
    await p.click('[data-testid=device-marker][data-device-id="n1"]');
    await p.waitForSelector('[data-testid=device-panel] .uplot', { timeout: 30_000 });
    await p.click('[data-testid=range-day]');
    await p.waitForSelector('[data-testid=device-panel] .uplot', { timeout: 30_000 });
    await waitFor(async () => (await p.textContent('[data-testid=device-panel]'))?.includes('<b>not html</b>'), 15_000, 'event text');
    expect(await p.locator('[data-testid=device-panel] b').count()).toBe(0);
    await p.screenshot({ path: artifactPath('ui-plan-device.png') });
    await p.context().close();
    await stopHub(hub);
  });
});
