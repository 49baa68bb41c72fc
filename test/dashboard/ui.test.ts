// The dashboard in Debian's chromium against a stand-in hub (mock-hub.ts): queue, drawer actions,
// worker view, login, reconnect with resync, language, 50,000-row table, missing grid routes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { MockHub } from './mock-hub.ts';
import { artifactPath, hasChromium, launchChromium, waitFor } from './browser.ts';
import { ensureDashboardBuilt } from './build.ts';

const BIG = { width: 1920, height: 1080 };
const PHONE = { width: 390, height: 844 };

describe.skipIf(!hasChromium)('dashboard in the browser (stand-in hub)', () => {
  let browser: Browser;
  const hubs: MockHub[] = [];

  async function mock(opts: ConstructorParameters<typeof MockHub>[0]): Promise<MockHub> {
    const h = new MockHub(opts);
    await h.start();
    hubs.push(h);
    return h;
  }
  async function page(url: string, viewport = BIG, locale: 'en' | 'zh-CN' = 'en'): Promise<Page> {
    const ctx = await browser.newContext({ viewport });
    await ctx.addInitScript((l) => {
      if (!localStorage.getItem('hub.locale')) localStorage.setItem('hub.locale', l);
      localStorage.setItem('hub.muted', '1');
    }, locale);
    const p = await ctx.newPage();
    p.on('pageerror', (e) => console.error('pageerror', e.message));
    await p.goto(url);
    return p;
  }
  const rowState = (p: Page, id: string) =>
    p.locator(`[data-testid=alert-row][data-alert-id="${id}"]`).getAttribute('data-state', { timeout: 1000 }).catch(() => null);

  beforeAll(async () => {
    await ensureDashboardBuilt();
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    for (const h of hubs) await h.close();
  });

  it('shows the queue by severity, counts, and a new critical alert within 2 s', async () => {
    const hub = await mock({ devices: 200, alerts: 12 });
    const p = await page(hub.url + '/');
    await p.waitForSelector('[data-testid=alert-row]', { timeout: 30_000 });
    await waitFor(async () => (await p.getAttribute('[data-testid=conn-state]', 'data-state')) === 'open', 20_000, 'ws open');
    const sevs = await p.$$eval('[data-testid=alert-row]', (els) => els.map((e) => e.getAttribute('data-severity')));
    const rank = { critical: 0, major: 1, minor: 2, info: 3 } as Record<string, number>;
    expect(sevs.map((s) => rank[s!])).toEqual([...sevs.map((s) => rank[s!])].sort());
    expect(await p.getAttribute('[data-testid=count-critical]', 'data-count')).toBe('3');

    const t0 = Date.now();
    const a = hub.raise('critical', 17);
    await p.waitForSelector(`[data-testid=alert-row][data-alert-id="${a.id}"]`, { timeout: 2000 });
    const latency = Date.now() - t0;
    expect(latency).toBeLessThan(2000);
    expect(await p.getAttribute('[data-testid=count-critical]', 'data-count')).toBe('4');
    expect(await p.locator(`[data-alert-id="${a.id}"]`).first().evaluate((e) => e.classList.contains('flash'))).toBe(true);
    await p.screenshot({ path: artifactPath('ui-control-room.png') });
    await p.context().close();
  });

  it('acknowledges, assigns and resolves from the drawer; notes and names stay text', async () => {
    const hub = await mock({ devices: 40, alerts: 0 });
    const a = hub.raise('critical', 3, true);
    a.title = '<img src=x onerror="window.__pwned=1">火警';
    const p = await page(hub.url + '/');
    await p.click(`[data-testid=alert-row][data-alert-id="${a.id}"]`);
    await p.waitForSelector('[data-testid=alert-drawer]');
    expect(await p.textContent('[data-testid=drawer-title]')).toContain('<img src=x');
    expect(await p.textContent('[data-testid=alert-drawer] h2')).toBe('Fire alarm');
    await p.click('[data-testid=drawer-ack]');
    await waitFor(async () => (await rowState(p, a.id)) === 'acknowledged', 10_000, 'acked');
    expect(hub.alerts.get(a.id)!.acknowledgedBy).toBe('anonymous');
    await p.fill('[data-testid=alert-drawer] input', 'li.wei');
    await p.click('[data-testid=drawer-assign]');
    await waitFor(async () => (await p.textContent('[data-testid=drawer-assignee]')) === 'li.wei', 10_000, 'assigned');
    await p.click('[data-testid=drawer-resolve]');
    await p.waitForSelector('[data-testid=alert-drawer] .error');
    expect(hub.alerts.get(a.id)!.state).toBe('acknowledged');
    await p.fill('[data-testid=drawer-note]', '<script>x()</script> 误报，已复位');
    await p.click('[data-testid=drawer-resolve]');
    await waitFor(async () => hub.alerts.get(a.id)!.state === 'resolved', 10_000, 'resolved');
    await waitFor(async () => (await p.locator('[data-testid=alert-row]').count()) === 0, 10_000, 'row gone');
    expect(await p.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await p.context().close();
  });

  it('logs in, scopes the worker view, and a worker ack shows in the control room', async () => {
    const hub = await mock({
      devices: 80,
      alerts: 0,
      users: { op: { password: 'op-pass-1', role: 'operator' }, li: { password: 'li-pass-1', role: 'worker', cells: ['g2'] } },
    });
    const mine = hub.raise('critical', 1, true); // d1 → g2
    const other = hub.raise('major', 2, true); // d2 → g3

    const room = await page(hub.url + '/');
    await room.waitForSelector('[data-testid=login-form]');
    await room.fill('input[name=username]', 'op');
    await room.fill('input[name=password]', 'wrong');
    await room.click('button[type=submit]');
    await room.waitForSelector('.login .error');
    await room.fill('input[name=password]', 'op-pass-1');
    await room.click('button[type=submit]');
    await room.waitForSelector(`[data-testid=alert-row][data-alert-id="${mine.id}"]`, { timeout: 20_000 });
    await waitFor(async () => (await room.getAttribute('[data-testid=conn-state]', 'data-state')) === 'open', 20_000, 'ws open');

    const phone = await page(hub.url + '/worker', PHONE);
    await phone.fill('input[name=username]', 'li');
    await phone.fill('input[name=password]', 'li-pass-1');
    await phone.click('button[type=submit]');
    await phone.waitForSelector(`[data-testid=worker-alert][data-alert-id="${mine.id}"]`, { timeout: 20_000 });
    expect(await phone.locator(`[data-testid=worker-alert][data-alert-id="${other.id}"]`).count()).toBe(0);
    await phone.screenshot({ path: artifactPath('ui-worker.png') });
    await phone.click('[data-testid=worker-ack]');
    await waitFor(async () => (await rowState(room, mine.id)) === 'acknowledged', 5000, 'control room updated');
    expect(hub.alerts.get(mine.id)!.acknowledgedBy).toBe('li');

    await phone.fill('[data-testid=worker-note]', '现场检查：烹饪油烟');
    await phone.click('[data-testid=worker-resolve]');
    await phone.waitForSelector('[data-testid=worker-empty]', { timeout: 10_000 });
    await room.context().close();
    await phone.context().close();
  });

  it('shows a banner while the hub is unreachable and resynchronises after reconnect', async () => {
    const hub = await mock({ devices: 40, alerts: 4 });
    const p = await page(hub.url + '/');
    await p.waitForSelector('[data-testid=alert-row]');
    await waitFor(async () => hub.socketCount === 1, 20_000, 'socket');
    const toResolve = [...hub.alerts.values()][0]!;

    hub.refuseWs = true;
    hub.dropSockets();
    await p.waitForSelector('[data-testid=hub-unreachable]', { timeout: 10_000 });
    await p.screenshot({ path: artifactPath('ui-unreachable.png') });
    // changes while the client is not listening
    const missed = hub.raise('critical', 9, true);
    Object.assign(toResolve, { state: 'resolved', resolvedAt: Date.now(), resolvedBy: 'x' });
    hub.refuseWs = false;

    await p.waitForSelector(`[data-testid=alert-row][data-alert-id="${missed.id}"]`, { timeout: 30_000 });
    await waitFor(async () => (await p.locator(`[data-alert-id="${toResolve.id}"]`).count()) === 0, 10_000, 'resolved one gone');
    expect(await p.locator('[data-testid=hub-unreachable]').count()).toBe(0);
    await p.context().close();
  });

  it('switches language and remembers it', async () => {
    const hub = await mock({ devices: 10, alerts: 1 });
    const p = await page(hub.url + '/', BIG, 'zh-CN');
    await p.waitForSelector('[data-testid=tab-plan]');
    expect(await p.textContent('[data-testid=tab-plan]')).toBe('平面图');
    await p.click('[data-testid=lang-switch]');
    expect(await p.textContent('[data-testid=tab-plan]')).toBe('Plan');
    await p.reload();
    await p.waitForSelector('[data-testid=tab-plan]');
    expect(await p.textContent('[data-testid=tab-plan]')).toBe('Plan');
    expect(await p.evaluate(() => document.documentElement.lang)).toBe('en');
    await p.context().close();
  });

  it('keeps 50,000 devices in a virtual table: few DOM rows, search, scroll to the end', async () => {
    const hub = await mock({ devices: 50_000, alerts: 1000 });
    const p = await page(hub.url + '/');
    await p.click('[data-testid=tab-devices]');
    await waitFor(async () => (await p.textContent('[data-testid=devices-shown]'))?.includes('50000 shown'), 30_000, 'devices loaded');
    const rows = await p.locator('[data-testid=device-row]').count();
    expect(rows).toBeGreaterThan(5);
    expect(rows).toBeLessThan(120);
    await p.locator('[data-testid=device-rows]').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await p.waitForSelector('[data-testid=device-row][data-device-id="d49999"]', { timeout: 5000 });
    await p.fill('[data-testid=device-search]', 'd4999');
    await waitFor(async () => (await p.textContent('[data-testid=devices-shown]'))?.startsWith('11 of'), 5000, 'search');
    await p.screenshot({ path: artifactPath('ui-devices.png') });
    await p.click('[data-testid=tab-plan]');
    await p.waitForSelector('[data-testid=plan-svg]');
    const markers = await p.locator('[data-testid=device-marker]').count();
    expect(markers).toBeGreaterThan(0);
    expect(markers).toBeLessThan(3000); // aggregated: only alerting/offline devices drawn
    await p.context().close();
  });

  it('works without /api/grid and /api/stats: plan generated from devices, device charts open', async () => {
    const hub = await mock({ devices: 60, alerts: 3, noGrid: true });
    const p = await page(hub.url + '/');
    await p.waitForSelector('[data-testid=device-marker]', { timeout: 20_000 });
    await p.click('[data-testid=device-marker][data-device-id="d1"]');
    await p.waitForSelector('[data-testid=device-panel] .uplot', { timeout: 10_000 });
    await p.click('[data-testid=range-day]');
    await p.waitForSelector('[data-testid=device-panel] .uplot', { timeout: 10_000 });
    expect(await p.textContent('[data-testid=device-panel]')).toContain('<b>not html</b>');
    await p.screenshot({ path: artifactPath('ui-plan-device.png') });
    await p.context().close();
  });
});
