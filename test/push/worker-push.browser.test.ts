// The browser half of Web Push in real Chromium: the hub sends an encrypted push to a local push
// service, which decrypts it; the decrypted message is delivered to the worker page's service
// worker over the DevTools protocol (ServiceWorker.deliverPushMessage, as a push service would),
// the notification shows, and its 确认 / Acknowledge action acknowledges the alert on the hub.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page, Worker } from 'playwright-core';
import type { Hub } from '../../server/src/hub.ts';
import { hasChromium, launchChromium, waitFor } from '../dashboard/browser.ts';
import { ensureDashboardBuilt } from '../dashboard/build.ts';
import { login, authedFetch } from '../helpers/auth.ts';
import { startDeliveryHub, workerAccount, WORKER_PASSWORD } from './delivery-hub.ts';
import { hasOpenssl, LocalPushService } from './push-service.ts';

/** What the tests touch of the service worker's global scope (sw.js). */
interface SwScope {
  registration: { getNotifications(): Promise<Notification[]> };
  onNotificationClick(e: { action: string; notification: Notification }): Promise<void>;
}

interface ShownNotification {
  title: string;
  body: string;
  tag: string;
  renotify: boolean;
  actions: string[];
}

describe.skipIf(!hasChromium || !hasOpenssl)('worker PWA: push notification in Chromium, acknowledged from its action', () => {
  let browser: Browser;
  let hub: Hub;
  let push: LocalPushService;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    await ensureDashboardBuilt();
    push = new LocalPushService();
    await push.start();
    hub = await startDeliveryHub({
      pushAgent: push.agent,
      extra: {
        communities: [
          {
            id: 'c1',
            name: { zh: '阳光社区', en: 'Sunshine' },
            controlRoom: { lead: 'lead1' },
            cells: [
              { id: 'g1', supervisor: 'sup1', workers: ['w1'], buildings: [{ id: 'b1', name: { zh: '3号楼', en: 'Building 3' } }, { id: 'b2' }] },
              { id: 'g2', supervisor: 'sup2', workers: ['w2'], buildings: [{ id: 'b3' }] },
            ],
          },
        ],
      },
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await hub?.stop();
    await push?.stop();
  });

  async function workerPage(username: string, grant: boolean): Promise<{ ctx: BrowserContext; page: Page }> {
    const ctx = await browser.newContext();
    contexts.push(ctx);
    await ctx.addInitScript(() => localStorage.setItem('hub.locale', 'zh-CN'));
    if (grant) await ctx.grantPermissions(['notifications'], { origin: hub.httpUrl });
    const page = await ctx.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (e) => console.error('pageerror', e.message));
    await page.goto(`${hub.httpUrl}/worker`);
    await page.waitForSelector('[data-testid=login-form]', { timeout: 60_000 });
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', WORKER_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=worker-view]', { timeout: 60_000 });
    return { ctx, page };
  }

  it('shows the pushed alert as a notification with 确认 and 查看, and acknowledges it from the notification without opening the page', async () => {
    await workerAccount(hub, 'zhang', 'w1');
    const zhang = authedFetch(await login(hub.httpUrl, { username: 'zhang', password: WORKER_PASSWORD }));
    const sub = push.subscription();
    expect((await zhang(`${hub.httpUrl}/api/push/subscriptions`, { method: 'POST', body: JSON.stringify({ endpoint: sub.endpoint, keys: sub.keys }) })).status).toBe(201);

    const { ctx, page } = await workerPage('zhang', true);
    // Installable: the manifest is linked and served, with its icons.
    const manifestHref = await page.getAttribute('link[rel=manifest]', 'href');
    const manifest = (await (await fetch(new URL(manifestHref!, hub.httpUrl))).json()) as { start_url: string; display: string; icons: { src: string; sizes: string }[] };
    expect(manifest).toMatchObject({ start_url: '/worker', display: 'standalone' });
    expect(manifest.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
    for (const icon of manifest.icons) expect((await fetch(new URL(icon.src, hub.httpUrl))).headers.get('content-type')).toBe('image/png');

    const cdp = await ctx.newCDPSession(page);
    const registrations = new Map<string, string>();
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: { registrationId: string; scopeURL: string; isDeleted: boolean }[] }) => {
      for (const r of e.registrations) if (!r.isDeleted) registrations.set(r.scopeURL, r.registrationId);
    });
    await cdp.send('ServiceWorker.enable');
    const registrationId = await waitFor(() => registrations.get(`${hub.httpUrl}/`), 30_000, 'the service worker registration');
    const sw: Worker = ctx.serviceWorkers()[0] ?? (await ctx.waitForEvent('serviceworker'));

    const alert = hub.alerts.signal(hub.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
    const received = await waitFor(() => push.received.find((p) => (p.body as { alert: { id: string } }).alert.id === alert.id), 30_000, 'the push at the push service');
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: hub.httpUrl, registrationId, data: JSON.stringify(received.body) });

    const shown = await waitFor(
      () =>
        sw.evaluate(async () =>
          (await (self as unknown as SwScope).registration.getNotifications()).map((n) => ({
            title: n.title,
            body: n.body,
            tag: n.tag,
            renotify: (n as unknown as { renotify: boolean }).renotify,
            actions: ((n as unknown as { actions: { action: string; title: string }[] }).actions ?? []).map((a) => `${a.action}:${a.title}`),
          })),
        ).then((list: ShownNotification[]) => list[0]),
      30_000,
      'the notification',
    );
    expect(shown.tag).toBe(`alert-${alert.id}`);
    expect(shown.renotify).toBe(true);
    expect(shown.title).toContain('紧急');
    expect(shown.body).toContain('3号楼');
    expect(shown.actions).toEqual(['ack:确认 Acknowledge', 'open:查看 Open']);

    // The card shows the place by name.
    await page.waitForSelector(`[data-testid=worker-alert][data-alert-id="${alert.id}"]`);
    expect(await page.textContent(`[data-alert-id="${alert.id}"] [data-testid=worker-alert-place]`)).toContain('3号楼');

    hub.alerts.get(alert.id)!.ackDeadlineAt = Date.now() - 1;
    hub.alerts.tick();
    // The escalation goes to the supervisor; the card shows the level.
    await page.waitForSelector(`[data-alert-id="${alert.id}"] [data-testid=worker-alert-level]`, { timeout: 30_000 });
    expect(await page.textContent(`[data-alert-id="${alert.id}"] [data-testid=worker-alert-level]`)).toContain('1');
    // A reminder notifies again in the same notification (same tag), renewed rather than stacked.
    const reminder = { ...(received.body as Record<string, unknown>), change: 'reminded' };
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: hub.httpUrl, registrationId, data: JSON.stringify(reminder) });
    await waitFor(
      () => sw.evaluate(async () => (await (self as unknown as SwScope).registration.getNotifications()).length).then((n: number) => n === 1),
      15_000,
      'one notification for the alert after the reminder',
    );

    // The 确认 action, as Chromium calls it when the worker taps it: the service worker's own handler.
    await sw.evaluate(async () => {
      const scope = self as unknown as SwScope;
      const [n] = await scope.registration.getNotifications();
      await scope.onNotificationClick({ action: 'ack', notification: n! });
    });
    await waitFor(() => hub.alerts.get(alert.id)!.state === 'acknowledged', 15_000, 'the alert acknowledged on the hub');
    expect(hub.alerts.get(alert.id)!.acknowledgedBy).toBe('zhang');
    expect(hub.alerts.get(alert.id)!.history.find((h) => h.action === 'acknowledged_via')?.detail).toMatchObject({ channel: 'webpush' });
    // The notification now says so, and the open page shows who acknowledged.
    const after = await waitFor(
      () => sw.evaluate(async () => (await (self as unknown as SwScope).registration.getNotifications()).map((n) => n.title)).then((t: string[]) => t.find((x) => x.includes('已确认'))),
      15_000,
      'the acknowledged notification',
    );
    expect(after).toContain('Acknowledged');
    await page.waitForSelector(`[data-alert-id="${alert.id}"][data-state=acknowledged] [data-testid=worker-alert-acked-by]`, { timeout: 30_000 });
  });

  it('says so in a banner when notifications are blocked', async () => {
    await workerAccount(hub, 'li', 'w2');
    const bcdp = await browser.newBrowserCDPSession();
    const before = new Set(((await bcdp.send('Target.getBrowserContexts')) as { browserContextIds: string[] }).browserContextIds);
    const ctx = await browser.newContext();
    contexts.push(ctx);
    const browserContextId = ((await bcdp.send('Target.getBrowserContexts')) as { browserContextIds: string[] }).browserContextIds.find((id) => !before.has(id));
    // The worker once tapped "Block" on the permission prompt.
    await bcdp.send('Browser.setPermission', { permission: { name: 'notifications' }, setting: 'denied', origin: hub.httpUrl, browserContextId });
    const cdpPage = await ctx.newPage();
    await cdpPage.goto(`${hub.httpUrl}/worker`);
    await cdpPage.waitForSelector('[data-testid=login-form]', { timeout: 60_000 });
    await cdpPage.fill('input[name=username]', 'li');
    await cdpPage.fill('input[name=password]', WORKER_PASSWORD);
    await cdpPage.click('button[type=submit]');
    await cdpPage.waitForSelector('[data-testid=banner-notifications-blocked]', { timeout: 30_000 });
    expect(await cdpPage.textContent('[data-testid=banner-notifications-blocked]')).toMatch(/通知|Notifications/);
  });
});
