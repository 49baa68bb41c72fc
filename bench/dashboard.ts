// Browser measurement of the dashboard (issue 6, item 8), printed as JSON on stdout:
//  - first render: navigation start → first alert row painted in the control room, and → the
//    whole device registry loaded (plan and table ready), with 50,000 devices and 1,000 open alerts;
//  - alert arrival: a new alert's WebSocket message received by the page → its row in the DOM
//    (measured inside the page, one clock), and, against the real hub, MQTT publish → row.
// Target: the real hub (server/src/main.ts as a process, temp DATA_DIR, free ports): 50,000
// devices provisioned from a generated HUB_CONFIG file, 1,000 smoke alarms published over MQTT,
// then more alarms for the arrival figures.
//   node --import tsx bench/dashboard.ts [--devices 50000] [--open 1000] [--alerts 30] [--runs 3]
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import type { Page } from 'playwright-core';
import { KINDS } from '../devices/src/kinds/index.ts';
import { startHubProcess, tempDataDir, type HubProcess } from '../test/helpers/hub.ts';
import { ARTIFACTS, launchChromium } from '../test/dashboard/browser.ts';
import { ensureDashboardBuilt } from '../test/dashboard/build.ts';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '50000' },
    open: { type: 'string', default: '1000' },
    alerts: { type: 'string', default: '30' },
    runs: { type: 'string', default: '3' },
  },
});
const nDevices = Number(values.devices);
const nOpen = Number(values.open);
const nAlerts = Number(values.alerts);
const runs = Number(values.runs);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
}
const r1 = (x: number) => Math.round(x * 10) / 10;

// In the page: note when each alert message arrives on any WebSocket, and when each alert row and
// the first row appear in the DOM, all on performance.now() (ms since navigation start).
// Plain JS in a string: a transpiled function could reference helpers that do not exist in the page.
const PROBE = `(() => {
  const b = (window.__bench = { wsAt: new Map(), rowAt: new Map(), byDevice: new Map(), firstRow: null });
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      // registered before the app's onmessage handler, so it runs first
      this.addEventListener('message', (ev) => {
        const t = performance.now();
        try {
          const m = JSON.parse(ev.data);
          if (m && m.type === 'alert' && m.alert && m.alert.id && !b.wsAt.has(m.alert.id)) {
            b.wsAt.set(m.alert.id, t);
            if (m.alert.deviceId && m.alert.state === 'open') b.byDevice.set(m.alert.deviceId, m.alert.id);
          }
        } catch {}
      });
    }
  };
  localStorage.setItem('hub.muted', '1');
  localStorage.setItem('hub.locale', 'en');
  new MutationObserver((records) => {
    const t = performance.now();
    for (const r of records)
      for (const n of r.addedNodes) {
        if (!(n instanceof Element)) continue;
        const rows = n.matches('[data-testid=alert-row]') ? [n] : n.querySelectorAll('[data-testid=alert-row]');
        for (const row of rows) {
          if (b.firstRow === null) b.firstRow = t;
          const id = row.getAttribute('data-alert-id');
          if (id && !b.rowAt.has(id)) b.rowAt.set(id, t);
        }
      }
  }).observe(document, { childList: true, subtree: true });
})();`;

interface Target {
  url: string;
  /** Logs the page in when the hub has accounts. */
  login(page: Page): Promise<void>;
  /** Raises one new critical alert; returns the device id and the publish time (epoch ms). */
  raise(): Promise<{ deviceId: string; at: number }>;
  close(): Promise<void>;
}

/** A community of nDevices devices in 8 cells × 40 buildings, as the hub's config file. */
function hubConfig(): { config: unknown; smoke: string[] } {
  const cells = Array.from({ length: 8 }, (_, c) => ({
    id: `g${c + 1}`,
    name: { zh: `第${c + 1}网格`, en: `Cell ${c + 1}` },
    area: { x: (c % 4) * 400, y: Math.floor(c / 4) * 450, w: 390, h: 440 },
    buildings: Array.from({ length: 40 }, (_, b) => ({
      id: `g${c + 1}-b${b + 1}`,
      name: { zh: `${b + 1}号楼`, en: `Bldg ${b + 1}` },
      floors: 18,
      x: (c % 4) * 400 + 10 + (b % 8) * 47,
      y: Math.floor(c / 4) * 450 + 40 + Math.floor(b / 8) * 79,
      w: 40,
      h: 70,
    })),
  }));
  const mix = ['smoke', 'smoke', 'smoke', 'smoke', 'smoke', 'smoke', 'smoke', 'gate', 'camera', 'fire_station'] as const;
  const devices = [];
  const smoke: string[] = [];
  for (let i = 0; i < nDevices; i++) {
    const kind = mix[i % mix.length]!;
    if (!(KINDS as readonly string[]).includes(kind)) throw new Error(`unknown kind ${kind}`);
    const c = i % 8;
    const b = Math.floor(i / 8) % 40;
    const id = `${kind.replace('_', '')}-${i}`;
    if (kind === 'smoke') smoke.push(id);
    devices.push({ id, kind, communityId: 'c1', gridCellId: `g${c + 1}`, buildingId: `g${c + 1}-b${b + 1}`, floor: (i % 18) + 1 });
  }
  return {
    config: { communities: [{ id: 'c1', name: { zh: '示范社区', en: 'Demo community' }, households: 2500, plan: { w: 1600, h: 900 }, cells }], devices },
    smoke,
  };
}

async function hubTarget(): Promise<Target> {
  const dataDir = tempDataDir('dash-bench');
  // however this process ends, the temporary hub data goes with it
  process.once('exit', () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const { config, smoke } = hubConfig();
  const configFile = path.join(dataDir, 'bench-config.json');
  fs.writeFileSync(configFile, JSON.stringify(config));
  const admin = { username: 'bench-admin', password: `bench-${Math.random().toString(36).slice(2)}` };
  let hub: HubProcess | undefined;
  let client: mqtt.MqttClient | undefined;
  try {
    hub = await startHubProcess({ DATA_DIR: dataDir, HUB_CONFIG: configFile, HUB_BOOTSTRAP_ADMIN: `${admin.username}:${admin.password}`, LOG_LEVEL: 'warn' });
    const auth = (await fetch(`${hub.httpUrl}/api/auth/me`)).status !== 404;
    let token: string | undefined;
    if (auth) {
      const r = await fetch(`${hub.httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(admin) });
      token = ((await r.json()) as { token?: string }).token;
    }
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const devices = (await (await fetch(`${hub.httpUrl}/api/devices?limit=1`, { headers })).json()) as { total?: number };
    if ((devices.total ?? 0) < nDevices) throw new Error(`hub registered ${devices.total} devices, expected ${nDevices}`);
    // With device authentication on, one gateway credential publishes for the whole community.
    let mqttAuth: { username: string; password: string } | undefined;
    if (auth) {
      const r = await fetch(`${hub.httpUrl}/api/mqtt/gateways`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ id: `bench-gw-${process.pid}`, communities: ['c1'] }),
      });
      if (!r.ok) throw new Error(`gateway credential: HTTP ${r.status} ${await r.text()}`);
      mqttAuth = ((await r.json()) as { mqtt: { username: string; password: string } }).mqtt;
    }
    client = await mqtt.connectAsync(hub.mqttUrl, { clientId: `bench-dashboard-${process.pid}`, reconnectPeriod: 0, ...(mqttAuth ?? {}) });
    const c = client;
    for (let i = 0; i < nOpen; i++) {
      await c.publishAsync(`community/c1/smoke/${smoke[i]}/event`, JSON.stringify({ type: 'alarm' }), { qos: 1 });
    }
    const openCount = async () =>
      ((await (await fetch(`${hub!.httpUrl}/api/alerts?state=open&limit=10000`, { headers })).json()) as { total?: number }).total ?? 0;
    const deadline = Date.now() + 60_000;
    while ((await openCount()) < nOpen) {
      if (Date.now() > deadline) throw new Error(`only ${await openCount()} open alerts after 60 s`);
      await new Promise((r) => setTimeout(r, 250));
    }
    let next = nOpen;
    const h = hub;
    return {
      url: h.httpUrl,
      login: async (page) => {
        if (!auth) return;
        await page.waitForSelector('[data-testid=login-form]', { timeout: 30_000 });
        await page.fill('input[name=username]', admin.username);
        await page.fill('input[name=password]', admin.password);
        await page.click('button[type=submit]');
      },
      raise: async () => {
        const deviceId = smoke[next++]!;
        const at = Date.now();
        await c.publishAsync(`community/c1/smoke/${deviceId}/event`, JSON.stringify({ type: 'alarm' }), { qos: 1 });
        return { deviceId, at };
      },
      close: async () => {
        await c.endAsync();
        await h.kill();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    client?.end(true);
    await hub?.kill();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

async function main() {
  await ensureDashboardBuilt();
  const t0 = Date.now();
  const tgt = await hubTarget();
  const setupS = (Date.now() - t0) / 1000;
  const browser = await launchChromium();
  const firstRender: number[] = [];
  const devicesLoaded: number[] = [];
  const arrival: number[] = [];
  const endToEnd: number[] = [];
  try {
    // One browser context (it keeps the session cookie); a fresh page, hence a cold start of the app, per run.
    const ctx = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    await ctx.addInitScript({ content: PROBE });
    for (let run = 0; run < runs; run++) {
      const page = await ctx.newPage();
      // Log in once, then measure fresh navigations with the session cookie.
      if (run === 0) {
        await page.goto(tgt.url + '/');
        await tgt.login(page);
        await page.waitForSelector('[data-testid=control-room]', { timeout: 60_000 });
      }
      await page.goto(tgt.url + '/');
      await page.waitForSelector('[data-testid=alert-row]', { timeout: 60_000 });
      firstRender.push(await page.evaluate(() => (window as unknown as { __bench: { firstRow: number } }).__bench.firstRow));
      await page.waitForFunction(
        () => (window as unknown as { __hub?: { devicesLoad: string } }).__hub?.devicesLoad === 'ready',
        undefined,
        { timeout: 60_000, polling: 10 },
      );
      devicesLoaded.push(await page.evaluate(() => performance.now()));
      if (process.env.BENCH_DEBUG) {
        console.error(
          await page.evaluate(() =>
            JSON.stringify(
              performance.getEntriesByType('resource').map((e) => [e.name.replace(location.origin, ''), Math.round(e.startTime), Math.round((e as PerformanceResourceTiming).responseEnd)]),
            ),
          ),
        );
      }
      await page.waitForFunction(() => (window as unknown as { __hub?: { conn: string } }).__hub?.conn === 'open', undefined, { timeout: 30_000 });
      if (run === 0) {
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, 'bench-dashboard-hub.png') });
      }

      if (run === runs - 1) {
        // one row per alert, so each new alarm has its own row even when it joins an incident
        await page.locator('[data-testid=fold-toggle]').uncheck({ timeout: 30_000 }).catch(async (err: unknown) => {
          if (process.env.BENCH_DEBUG) await page.screenshot({ path: 'bench-dashboard-failure.png' });
          throw err;
        });
        for (let i = 0; i < nAlerts; i++) {
          const { deviceId, at } = await tgt.raise();
          const r = await page.waitForFunction(
            (dev) => {
              const b = (window as unknown as { __bench: { byDevice: Map<string, string>; wsAt: Map<string, number>; rowAt: Map<string, number> } }).__bench;
              const id = b.byDevice.get(dev);
              const row = id ? b.rowAt.get(id) : undefined;
              return id && row !== undefined ? { inPage: row - b.wsAt.get(id)!, rowEpoch: performance.timeOrigin + row } : null;
            },
            deviceId,
            { timeout: 10_000, polling: 20 },
          );
          const v = (await r.jsonValue()) as { inPage: number; rowEpoch: number };
          arrival.push(v.inPage);
          endToEnd.push(v.rowEpoch - at);
          await new Promise((res) => setTimeout(res, 150));
        }
      }
      await page.close();
    }
    await ctx.close();
  } finally {
    await browser.close();
    await tgt.close();
  }
  const out = {
    bench: 'dashboard',
    target: 'real hub (server/src/main.ts, embedded broker, embedded store)',
    devices: nDevices,
    openAlerts: nOpen,
    setupS: r1(setupS),
    firstRenderMs: { runs: firstRender.map(r1), median: r1(pct(firstRender, 50)), max: r1(Math.max(...firstRender)), targetMs: 2000 },
    devicesLoadedMs: { runs: devicesLoaded.map(r1), median: r1(pct(devicesLoaded, 50)) },
    alertArrivalMs: { n: arrival.length, p50: r1(pct(arrival, 50)), p95: r1(pct(arrival, 95)), max: r1(Math.max(...arrival)), targetMs: 200 },
    publishToScreenMs: { n: endToEnd.length, p50: r1(pct(endToEnd, 50)), p95: r1(pct(endToEnd, 95)), max: r1(Math.max(...endToEnd)) },
    note: 'first render = navigation start → first alert row in the DOM; devices loaded = navigation start → registry in the page; arrival = WebSocket message in the page → its row in the DOM; publish→screen = MQTT publish → row in the DOM',
  };
  console.log(JSON.stringify(out, null, 2));
}

let printed = false;
process.on('beforeExit', () => {
  // the event loop drained while something was still awaited (e.g. a hub that never answered)
  if (!printed) {
    console.error('bench/dashboard: stopped before producing a result');
    process.exitCode = 1;
  }
});
main().then(() => (printed = true)).catch((err) => {
  printed = true;
  console.error(err);
  process.exit(1);
});
