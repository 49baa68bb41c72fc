// Browser measurement of the sub-district (街道) overview (issue 16, item 7), printed as JSON on
// stdout: an operator whose scope holds the district simulator's communities (20 ≈ 59,000
// devices) opens the dashboard; first render = navigation start → every district card in the DOM,
// and → every card showing its figures (GET /api/stats/communities answered).
// Target: the real hub (server/src/main.ts as a process, temp DATA_DIR, free ports), provisioned
// from the simulator's own config file, with a few open alerts per community published over MQTT.
//   node --import tsx bench/dashboard-district.ts [--communities 20] [--open 5] [--runs 3]
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { buildDistrict } from '../simulators/community/build.ts';
import { writeHubConfig } from '../simulators/community/hub-config.ts';
import { startHubProcess, tempDataDir, type HubProcess } from '../test/helpers/hub.ts';
import { createGateway, createUser, login } from '../test/helpers/auth.ts';
import { ARTIFACTS, launchChromium } from '../test/dashboard/browser.ts';
import { ensureDashboardBuilt } from '../test/dashboard/build.ts';

const { values } = parseArgs({
  options: {
    communities: { type: 'string', default: '20' },
    open: { type: 'string', default: '5' },
    runs: { type: 'string', default: '3' },
  },
});
const nCommunities = Number(values.communities);
const openPerCommunity = Number(values.open);
const runs = Number(values.runs);

const r1 = (x: number) => Math.round(x * 10) / 10;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};

// In the page: when the last of n cards appears, and when every card shows its online share.
const PROBE = (n: number) => `(() => {
  const b = (window.__bench = { cards: null, figures: null });
  localStorage.setItem('hub.muted', '1');
  localStorage.setItem('hub.locale', 'en');
  new MutationObserver(() => {
    const t = performance.now();
    if (b.cards === null && document.querySelectorAll('[data-testid=district-card]').length >= ${n}) b.cards = t;
    if (b.cards !== null && b.figures === null) {
      const online = [...document.querySelectorAll('[data-testid=district-online]')];
      if (online.length >= ${n} && online.every((e) => /\\d%/.test(e.textContent || ''))) b.figures = t;
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
})();`;

async function main() {
  await ensureDashboardBuilt();
  const t0 = Date.now();
  const district = buildDistrict({ seed: 1, communities: nCommunities });
  const dataDir = tempDataDir('district-bench');
  process.once('exit', () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const configFile = writeHubConfig(path.join(dataDir, 'district.json'), district);
  const admin = { username: 'bench-admin', password: `bench-${Math.random().toString(36).slice(2)}` };
  const operator = { username: 'bench-street', password: `street-${Math.random().toString(36).slice(2)}` };
  const ids = district.communities.map((c) => c.id);
  let hub: HubProcess | undefined;
  let client: mqtt.MqttClient | undefined;
  const cardsMs: number[] = [];
  const figuresMs: number[] = [];
  let statsMs: number[] = [];
  try {
    hub = await startHubProcess({ DATA_DIR: dataDir, HUB_CONFIG: configFile, HUB_BOOTSTRAP_ADMIN: `${admin.username}:${admin.password}`, LOG_LEVEL: 'warn' });
    const token = await login(hub.httpUrl, admin);
    await createUser(hub.httpUrl, token, { ...operator, role: 'operator', communities: ids });
    const mqttAuth = await createGateway(hub.httpUrl, token, `bench-district-${process.pid}`, ids);
    client = await mqtt.connectAsync(hub.mqttUrl, { clientId: `bench-district-${process.pid}`, reconnectPeriod: 0, ...mqttAuth });
    for (const cid of ids) {
      const smoke = district.devices.filter((d) => d.communityId === cid && d.kind === 'smoke').slice(0, openPerCommunity);
      for (const d of smoke) await client.publishAsync(`community/${cid}/smoke/${d.id}/event`, JSON.stringify({ type: 'alarm' }), { qos: 1 });
    }
    const headers = { authorization: `Bearer ${await login(hub.httpUrl, operator)}` };
    const want = ids.length * openPerCommunity;
    const deadline = Date.now() + 60_000;
    const openCount = async () => ((await (await fetch(`${hub!.httpUrl}/api/alerts?state=open&limit=10000`, { headers })).json()) as { total?: number }).total ?? 0;
    while ((await openCount()) < want) {
      if (Date.now() > deadline) throw new Error(`only ${await openCount()} of ${want} open alerts after 60 s`);
      await new Promise((r) => setTimeout(r, 250));
    }
    // the route alone, as the operator
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      const r = await fetch(`${hub.httpUrl}/api/stats/communities`, { headers });
      await r.arrayBuffer();
      statsMs.push(performance.now() - s);
    }
    statsMs = statsMs.map(r1);
    const setupS = (Date.now() - t0) / 1000;

    const browser = await launchChromium();
    try {
      const ctx = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
      await ctx.addInitScript({ content: PROBE(ids.length) });
      for (let run = 0; run < runs; run++) {
        const page = await ctx.newPage();
        if (run === 0) {
          await page.goto(hub.httpUrl + '/');
          await page.waitForSelector('[data-testid=login-form]', { timeout: 30_000 });
          await page.fill('input[name=username]', operator.username);
          await page.fill('input[name=password]', operator.password);
          await page.click('button[type=submit]');
          await page.waitForSelector('[data-testid=district-view]', { timeout: 60_000 });
        }
        await page.goto(hub.httpUrl + '/');
        const done = await page.waitForFunction(
          () => {
            const b = (window as unknown as { __bench: { cards: number | null; figures: number | null } }).__bench;
            return b.figures !== null ? b : null;
          },
          undefined,
          { timeout: 60_000, polling: 20 },
        );
        const b = (await done.jsonValue()) as { cards: number; figures: number };
        cardsMs.push(b.cards);
        figuresMs.push(b.figures);
        if (process.env.BENCH_DEBUG) {
          console.error(
            await page.evaluate(() =>
              JSON.stringify(performance.getEntriesByType('resource').map((e) => [e.name.replace(location.origin, ''), Math.round(e.startTime), Math.round((e as PerformanceResourceTiming).responseEnd)])),
            ),
          );
        }
        if (run === 0) {
          fs.mkdirSync(ARTIFACTS, { recursive: true });
          await page.screenshot({ path: path.join(ARTIFACTS, 'bench-dashboard-district.png') });
        }
        await page.close();
      }
      await ctx.close();
    } finally {
      await browser.close();
    }
    const out = {
      bench: 'dashboard-district',
      target: 'real hub (server/src/main.ts, embedded broker, embedded store), config from simulators/community',
      communities: ids.length,
      devices: district.devices.length,
      openAlerts: want,
      setupS: r1(setupS),
      cardsRenderedMs: { runs: cardsMs.map(r1), median: r1(median(cardsMs)), max: r1(Math.max(...cardsMs)), targetMs: 2000 },
      figuresRenderedMs: { runs: figuresMs.map(r1), median: r1(median(figuresMs)), max: r1(Math.max(...figuresMs)) },
      statsCommunitiesRouteMs: statsMs,
      note: 'cards = navigation start → every community card in the DOM; figures = → every card showing its devices-online share; route = GET /api/stats/communities round trip as the operator',
    };
    console.log(JSON.stringify(out, null, 2));
  } finally {
    await client?.endAsync().catch(() => undefined);
    await hub?.kill();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
