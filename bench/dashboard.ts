// Browser measurement of the dashboard (issue 6, item 8), printed as JSON on stdout:
//  - first render: navigation start → first alert row painted in the control room, and → the
//    50,000-device registry loaded into the table, with 50,000 devices and 1,000 open alerts;
//  - alert arrival: a new alert's WebSocket message received by the page → its row in the DOM
//    (measured inside the page, one clock), over --alerts N pushes.
// It runs Debian's chromium against the stand-in hub of test/dashboard/mock-hub.ts, which serves
// the built dashboard/dist and the contract routes, so the figures are the dashboard's own cost.
//   node --import tsx bench/dashboard.ts [--devices 50000] [--open 1000] [--alerts 30]
import { parseArgs } from 'node:util';
import { MockHub } from '../test/dashboard/mock-hub.ts';
import { launchChromium } from '../test/dashboard/browser.ts';
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
  const b = (window.__bench = { wsAt: new Map(), rowAt: new Map(), firstRow: null });
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      // registered before the app's onmessage handler, so it runs first
      this.addEventListener('message', (ev) => {
        const t = performance.now();
        try {
          const m = JSON.parse(ev.data);
          if (m && m.type === 'alert' && m.alert && m.alert.id && !b.wsAt.has(m.alert.id)) b.wsAt.set(m.alert.id, t);
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

async function main() {
  await ensureDashboardBuilt();
  const hub = new MockHub({ devices: nDevices, alerts: nOpen });
  await hub.start();
  const browser = await launchChromium();
  const firstRender: number[] = [];
  const devicesLoaded: number[] = [];
  const arrival: number[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      const ctx = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
      await ctx.addInitScript({ content: PROBE });
      const page = await ctx.newPage();
      await page.goto(hub.url + '/');
      await page.waitForSelector('[data-testid=alert-row]', { timeout: 60_000 });
      firstRender.push(await page.evaluate(() => (window as unknown as { __bench: { firstRow: number } }).__bench.firstRow));
      await page.waitForFunction(
        () => (window as unknown as { __hub?: { devicesLoad: string; conn: string } }).__hub?.devicesLoad === 'ready',
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

      if (run === runs - 1) {
        for (let i = 0; i < nAlerts; i++) {
          const a = hub.raise('critical', i * 37);
          await page.waitForSelector(`[data-testid=alert-row][data-alert-id="${a.id}"]`, { timeout: 10_000 });
          const d = await page.evaluate((id) => {
            const b = (window as unknown as { __bench: { wsAt: Map<string, number>; rowAt: Map<string, number> } }).__bench;
            return (b.rowAt.get(id) ?? NaN) - (b.wsAt.get(id) ?? NaN);
          }, a.id);
          arrival.push(d);
          await new Promise((r) => setTimeout(r, 150));
        }
      }
      await ctx.close();
    }
  } finally {
    await browser.close();
    await hub.close();
  }
  const out = {
    bench: 'dashboard',
    devices: nDevices,
    openAlerts: nOpen,
    firstRenderMs: { runs: firstRender.map(r1), median: r1(pct(firstRender, 50)), max: r1(Math.max(...firstRender)), targetMs: 2000 },
    devicesLoadedMs: { runs: devicesLoaded.map(r1), median: r1(pct(devicesLoaded, 50)) },
    alertArrivalMs: {
      n: arrival.length,
      p50: r1(pct(arrival, 50)),
      p95: r1(pct(arrival, 95)),
      max: r1(Math.max(...arrival)),
      targetMs: 200,
    },
    note: 'first render = navigation start → first alert row in the DOM; arrival = WebSocket message in the page → its row in the DOM',
  };
  console.log(JSON.stringify(out, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
