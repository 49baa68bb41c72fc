// The control room an operator runs for a shift (issue 16), in Debian's chromium against the real
// hub: names from the config file instead of ids, badges that show escalation and incidents, the
// urgency order, history as sentences in zh and en, assigning from the cell's people with tel:
// links, and an axe-core check. Screenshots go to test/artifacts/ (and SHOTS_DIR when set).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Hub } from '../../server/src/hub.ts';
import { createUser, login, type HubSession } from '../helpers/auth.ts';
import { configuredHub, keepShot as keep, type ConfiguredHub } from './configured-hub.ts';
import { describeViolations, seriousViolations } from './axe.ts';
import { artifactPath, CHROMIUM, hasChromium, launchChromium, waitFor } from './browser.ts';
import { ensureDashboardBuilt } from './build.ts';
import { loginThroughForm, openLoggedIn } from './login-page.ts';
import { NAMED_CONFIG } from './named-config.ts';

const BIG = { width: 1920, height: 1080 };
const OPERATOR = { username: 'op', password: `op-${randomBytes(8).toString('hex')}` };
const WORKER = { username: 'wangq', password: `wq-${randomBytes(8).toString('hex')}` };

describe.skipIf(!hasChromium)('control room for a shift (real hub)', () => {
  let browser: Browser;
  let hub: Hub;
  let session: HubSession;
  let fixture: ConfiguredHub;
  const publish = (deviceId: string, channel: string, payload: unknown) => fixture.publish('c1', deviceId, channel, payload);
  interface ApiAlert { id: string; deviceId: string; type: string; escalationLevel: number; incidentId: string | null; assignee: string | null }
  async function unresolved(): Promise<ApiAlert[]> {
    const r = await session.fetch(`${hub.httpUrl}/api/alerts?state=unresolved&limit=1000`);
    return ((await r.json()) as { alerts: ApiAlert[] }).alerts;
  }
  const alertOf = (deviceId: string, type: string) =>
    waitFor(async () => (await unresolved()).find((a) => a.deviceId === deviceId && a.type === type), 30_000, `${type} of ${deviceId}`);

  const open = (locale: 'zh-CN' | 'en', viewport = BIG, o: { muted?: boolean; in?: Browser } = {}): Promise<Page> =>
    openLoggedIn(o.in ?? browser, hub.httpUrl + '/', OPERATOR, { locale, viewport, muted: o.muted !== false });
  const rowIds = (p: Page) => p.$$eval('[data-testid=alert-row]', (els) => els.map((e) => e.getAttribute('data-alert-id') ?? ''));

  let fire1: ApiAlert, fire2: ApiAlert, battery: ApiAlert, tamper: ApiAlert;

  beforeAll(async () => {
    await ensureDashboardBuilt();
    browser = await launchChromium();
    fixture = await configuredHub('control-room', NAMED_CONFIG);
    ({ hub, session } = fixture);
    await createUser(hub.httpUrl, session.token, { ...OPERATOR, role: 'operator', communities: ['c1'] });
    await createUser(hub.httpUrl, session.token, { ...WORKER, role: 'worker', workerId: 'w1' });

    // a fire in building 3 (two detectors: one incident), a low battery left to escalate twice, then a fresh tamper
    await publish('f1', 'event', { type: 'alarm' });
    fire1 = await alertOf('f1', 'fire_alarm');
    await publish('f2', 'event', { type: 'alarm' });
    fire2 = await alertOf('f2', 'fire_alarm');
    await publish('m1', 'telemetry', { battery_pct: 4 });
    battery = await alertOf('m1', 'low_battery');
    await waitFor(async () => (await unresolved()).find((a) => a.id === battery.id)?.escalationLevel === 2, 30_000, 'low battery escalated twice');
    await publish('t1', 'event', { type: 'tamper' });
    tamper = await alertOf('t1', 'smoke_tamper');
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await fixture?.stop();
  }, 60_000);

  it('the queue reads at a glance: names, badges that do not truncate, most urgent first, incidents summed up', async () => {
    expect(fire1.incidentId).not.toBeNull();
    expect(fire2.incidentId).toBe(fire1.incidentId);
    const p = await open('zh-CN');
    await waitFor(async () => (await rowIds(p)).length === 3, 30_000, 'three queue entries (the fire folded)');
    // unacknowledged critical first, then the escalated minor above the fresh major
    expect(await rowIds(p)).toEqual([fire1.id, battery.id, tamper.id]);
    const lead = p.locator(`[data-testid=alert-row][data-alert-id="${fire1.id}"]`);
    expect(await lead.locator('[data-testid=alert-place]').textContent()).toBe('3号楼 16层 · 1604 厨房烟感');
    expect(await lead.locator('[data-testid=alert-related]').textContent()).toMatch(/^事件 · 2 台设备 · \d\d:\d\d 起$/);
    const esc = p.locator(`[data-testid=alert-row][data-alert-id="${battery.id}"] [data-testid=badge-escalated]`);
    expect(await esc.textContent()).toBe('升级至二级');
    // badges are whole: their text is not clipped by the row
    for (const badge of await p.locator('[data-testid=alert-row] .badge').all()) {
      expect(await badge.evaluate((e) => e.scrollWidth <= e.clientWidth + 1 && e.getBoundingClientRect().right <= e.closest('.badges, .alert-row')!.getBoundingClientRect().right + 1)).toBe(true);
    }
    // no ids where names exist
    const text = (await p.locator('[data-testid=alert-queue]').textContent()) ?? '';
    for (const id of ['f1', 'c1-g1', 'c1-b03', 'm1 ']) expect(text).not.toContain(id);
    // the other orders remain
    await p.selectOption('[data-testid=queue-order]', 'newest');
    await waitFor(async () => (await rowIds(p))[1] === tamper.id, 10_000, 'newest first (severity, then newest)').catch(async (e: Error) => {
      throw new Error(`${e.message}: ${(await rowIds(p)).join()} (tamper ${tamper.id})`);
    });
    await p.selectOption('[data-testid=queue-order]', 'urgency');
    const shot = artifactPath('control-room-zh.png');
    await p.screenshot({ path: shot });
    keep(shot);
    await p.context().close();
  });

  it('the drawer names the place and people; history reads as sentences in zh and en', async () => {
    const p = await open('zh-CN');
    await p.click(`[data-testid=alert-row][data-alert-id="${battery.id}"]`);
    await p.waitForSelector('[data-testid=alert-drawer]');
    expect(await p.textContent('[data-testid=drawer-community]')).toBe('幸福里社区');
    expect(await p.textContent('[data-testid=drawer-cell]')).toBe('第一网格');
    expect(await p.textContent('[data-testid=drawer-where]')).toBe('3号楼 12层');
    expect(await p.textContent('[data-testid=drawer-device]')).toBe('1201 走廊烟感');
    const history = async () => (await p.locator('[data-testid=alert-history] .what').allTextContents()).join('\n');
    await waitFor(async () => (await history()).includes('升级至二级'), 15_000, 'escalation in the history');
    const zh = await history();
    expect(zh).toContain('产生告警');
    expect(zh).toContain('升级至一级：通知 林艳（网格长，138****5678）');
    expect(zh).toContain('升级至二级：通知 陈刚（综治中心负责人，138****0005）');
    expect(zh).not.toMatch(/[{}]/);
    const times = await p.locator('[data-testid=alert-history] time').allTextContents();
    expect(times.every((s) => /^\d\d:\d\d$/.test(s))).toBe(true);

    await p.click('[data-testid=lang-switch]');
    await waitFor(async () => (await history()).includes('Escalated to level 2'), 10_000, 'English history');
    const en = await history();
    expect(en).toContain('Escalated to level 1: notified 林艳 (cell supervisor, 138****5678)');
    expect(en).toContain('Escalated to level 2: notified 陈刚 (control-room lead, 138****0005)');
    expect(await p.textContent('[data-testid=drawer-community]')).toBe('Xingfuli Community');
    expect(await p.textContent('[data-testid=drawer-where]')).toBe('Building 3, floor 12');
    const shot = artifactPath('control-room-en-drawer.png');
    await p.screenshot({ path: shot });
    keep(shot);
    await p.context().close();
  });

  it('assigns from the cell\'s people, with phones as tel: links and who the hub can reach', async () => {
    const p = await open('zh-CN');
    await p.click(`[data-testid=alert-row][data-alert-id="${tamper.id}"]`);
    await p.waitForSelector('[data-testid=assign-list]');
    const people = p.locator('[data-testid=assign-person]');
    expect(await people.evaluateAll((els) => els.map((e) => e.getAttribute('data-person-id')))).toEqual(['sup1', 'w1', 'lead1']);
    const sup = p.locator('[data-testid=assign-person][data-person-id=sup1]');
    expect(await sup.locator('[data-testid=assign-tel]').getAttribute('href')).toBe('tel:13812345678');
    expect(await sup.locator('[data-testid=assign-reach]').getAttribute('data-reachable')).toBe('no');
    const wang = p.locator('[data-testid=assign-person][data-person-id=w1]');
    expect(await wang.locator('[data-testid=assign-reach]').getAttribute('data-reachable')).toBe('yes');
    expect(await wang.textContent()).toContain('企业微信');
    await wang.locator('[data-testid=assign-to]').click();
    // assigned to the worker's account, so it shows on their phone; the screen shows the name
    await waitFor(async () => (await unresolved()).find((a) => a.id === tamper.id)?.assignee === WORKER.username, 15_000, 'assigned on the hub');
    await waitFor(async () => (await p.textContent('[data-testid=drawer-assignee]')) === '王强', 15_000, 'assignee by name');
    await waitFor(async () => (await p.locator('[data-testid=alert-history] .what').allTextContents()).includes('op 指派给 王强'), 15_000, 'assignment sentence');
    await p.context().close();
  });

  it('has no serious accessibility violations (axe-core), dark-theme contrast included', async () => {
    const p = await open('en');
    await waitFor(async () => (await rowIds(p)).length === 3, 30_000, 'queue');
    await p.click(`[data-testid=alert-row][data-alert-id="${battery.id}"]`);
    await p.waitForSelector('[data-testid=assign-list]');
    const shot = artifactPath('control-room-en.png');
    await p.screenshot({ path: shot });
    keep(shot);
    expect(describeViolations(await seriousViolations(p))).toEqual([]);
    await p.context().close();
  });

  it('when the session ends, the screen says so in both languages, keeps the queue and the chime, and a login brings it back', async () => {
    const p = await open('zh-CN', BIG, { muted: false });
    await waitFor(async () => (await rowIds(p)).length === 3, 30_000, 'queue');
    expect(await p.getAttribute('[data-testid=control-room]', 'data-chiming')).toBe('yes');
    // the admin changes the operator's scope: every session of theirs ends, and the open screen hears at once
    const r = await session.fetch(`${hub.httpUrl}/api/users/${OPERATOR.username}`, { method: 'PATCH', body: JSON.stringify({ communities: ['c1'] }) });
    expect(r.status).toBe(200);
    await p.waitForSelector('[data-testid=session-ended][data-why=account]', { timeout: 10_000 });
    const notice = (await p.textContent('[data-testid=session-ended]')) ?? '';
    expect(notice).toContain('账户已被管理员停用或修改');
    expect(notice).toContain('An admin disabled or changed this account');
    expect(notice).toContain('请值班员重新登录');
    // the queue stays on screen behind the notice, and the critical chime keeps its timer
    expect((await rowIds(p)).length).toBe(3);
    expect(await p.getAttribute('[data-testid=control-room]', 'data-chiming')).toBe('yes');
    const shot = artifactPath('session-ended-zh.png');
    await p.screenshot({ path: shot });
    keep(shot);
    await loginThroughForm(p, OPERATOR, '[data-testid=session-ended]');
    await waitFor(async () => (await p.locator('[data-testid=session-ended]').count()) === 0, 30_000, 'notice gone');
    await waitFor(async () => (await p.getAttribute('[data-testid=conn-state]', 'data-state')) === 'open', 30_000, 'live again');
    await p.context().close();
  });

  it('warns when the browser still blocks sound, until a click enables it', async () => {
    // a browser with its default autoplay policy (the suite's own one allows audio)
    const strict = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'], timeout: 60_000 });
    try {
      // a wall screen reloaded overnight opens on its cookie session: no click or key press has reached this page
      const token = await login(hub.httpUrl, OPERATOR);
      const ctx = await strict.newContext({ viewport: BIG });
      await ctx.addInitScript(() => {
        localStorage.setItem('hub.locale', 'en');
        localStorage.setItem('hub.muted', '0');
      });
      await ctx.addCookies([{ name: 'hub_session', value: token, url: hub.httpUrl }]);
      const p = await ctx.newPage();
      await p.goto(hub.httpUrl + '/');
      await p.waitForSelector('[data-testid=control-room]', { timeout: 60_000 });
      await p.waitForSelector('[data-testid=audio-blocked]', { timeout: 15_000 });
      const shot = artifactPath('audio-blocked-en.png');
      await p.screenshot({ path: shot });
      keep(shot);
      expect(await p.textContent('[data-testid=audio-blocked]')).toContain('alerts will be silent');
      await p.click('[data-testid=audio-enable]');
      await waitFor(async () => (await p.locator('[data-testid=audio-blocked]').count()) === 0, 10_000, 'banner gone after a click');
      await p.context().close();
    } finally {
      await strict.close();
    }
  });

  it('the plan zooms and pans, keeps building labels readable, lists a building\'s floors and highlights the alerting device', async () => {
    const p = await open('zh-CN');
    await p.waitForSelector('[data-testid=plan-building][data-building-id=c1-b03]');
    const labelHeights = () => p.$$eval('[data-testid=building-label]', (els) => els.map((e) => e.getBoundingClientRect().height));
    const zoom = async () => Number(await p.getAttribute('[data-testid=plan-svg]', 'data-zoom'));
    for (const h of await labelHeights()) expect(h).toBeGreaterThanOrEqual(12);
    await p.click('[data-testid=plan-zoom-in]');
    await p.click('[data-testid=plan-zoom-in]');
    expect(await zoom()).toBeCloseTo(2.25, 1);
    for (const h of await labelHeights()) {
      expect(h).toBeGreaterThanOrEqual(12);
      expect(h).toBeLessThan(30);
    }
    // drag pans, the wheel zooms around the pointer
    const box = (await p.locator('[data-testid=plan-svg]').boundingBox())!;
    const before = await p.getAttribute('[data-testid=plan-svg]', 'viewBox');
    await p.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await p.mouse.down();
    await p.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2 + 40, { steps: 5 });
    await p.mouse.up();
    expect(await p.getAttribute('[data-testid=plan-svg]', 'viewBox')).not.toBe(before);
    await p.mouse.wheel(0, -200);
    await waitFor(async () => (await zoom()) > 2.5, 5000, 'wheel zoom');
    await p.click('[data-testid=plan-reset]');
    expect(await zoom()).toBe(1);

    // a building's floors with their devices, the alerting ones marked
    await p.locator('[data-testid=plan-building][data-building-id=c1-b03]').press('Enter');
    await p.waitForSelector('[data-testid=building-floors][data-building-id=c1-b03]');
    const floors = p.locator('[data-testid=floor-row]');
    expect(await floors.count()).toBe(18);
    expect(await floors.first().getAttribute('data-floor')).toBe('18');
    const sixteen = p.locator('[data-testid=floor-row][data-floor="16"]');
    expect(await sixteen.locator('[data-testid=floor-device]').allTextContents()).toEqual(['1604 厨房烟感', '1605 客厅烟感']);
    expect(await sixteen.evaluate((e) => e.classList.contains('has-alert'))).toBe(true);

    // selecting the fire zooms to its device and rings it and the rest of its incident
    await p.click('[data-testid=fold-toggle]'); // one row per alert
    await p.click(`[data-testid=alert-row][data-alert-id="${fire1.id}"]`);
    await waitFor(async () => (await p.locator('[data-testid=marker-highlight]').count()) === 2, 10_000, 'the incident ringed');
    await waitFor(async () => (await zoom()) >= 1.9, 10_000, 'zoomed to the fire');
    expect(await p.locator('[data-testid=building-floors]').count()).toBe(0);
    for (const h of await labelHeights()) expect(h).toBeGreaterThanOrEqual(12);
    const shot = artifactPath('plan-zoomed-zh.png');
    await p.screenshot({ path: shot });
    keep(shot);
    await p.context().close();
  });

  it('fits a phone (390×844): one column, nothing wider than the screen', async () => {
    const p = await open('zh-CN', { width: 390, height: 844 });
    await waitFor(async () => (await rowIds(p)).length === 3, 30_000, 'queue');
    expect(await p.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(391);
    await p.click(`[data-testid=alert-row][data-alert-id="${battery.id}"]`);
    await p.waitForSelector('[data-testid=alert-drawer]');
    expect(await p.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(391);
    const shot = artifactPath('control-room-phone-zh.png');
    await p.screenshot({ path: shot, fullPage: false });
    keep(shot);
    await p.context().close();
  });
});
