// The admin pages (/admin, issue 16 item 8) in Debian's chromium against the real hub: accounts with
// a worker picked from the config file, provisioning with the credential shown once, gateways, the
// Mosquitto files, the audit log with filters, and an axe-core check. Also the admin routes they
// use (DELETE /api/users/:username). Screenshots go to test/artifacts/ (and SHOTS_DIR when set).
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Hub } from '../../server/src/hub.ts';
import { startHub, tempDataDir } from '../helpers/hub.ts';
import { adminSession, createUser, login, TEST_ADMIN, type HubSession } from '../helpers/auth.ts';
import { artifactPath, hasChromium, launchChromium, waitFor } from './browser.ts';
import { ensureDashboardBuilt } from './build.ts';
import { seriousViolations } from './axe.ts';
import { keepShot as keep } from './configured-hub.ts';
import { openLoggedIn } from './login-page.ts';

const BIG = { width: 1920, height: 1080 };
const PHONE = { width: 390, height: 844 };
const OPERATOR = { username: 'op', password: `op-${randomBytes(8).toString('hex')}` };

export const ADMIN_CONFIG = {
  communities: [
    {
      id: 'c1',
      name: { zh: '幸福里社区', en: 'Xingfuli Community' },
      cells: [
        { id: 'c1-g1', name: { zh: '第一网格', en: 'Cell 1' }, supervisor: 'sup1', workers: ['w1'], buildings: [{ id: 'c1-b03', name: { zh: '3号楼', en: 'Building 3' }, floors: 18 }] },
      ],
    },
    { id: 'c2', name: { zh: '和平社区', en: 'Heping Community' }, cells: [{ id: 'c2-g1', name: { zh: '和平一网格', en: 'Heping cell 1' }, workers: ['w2'], buildings: [] }] },
  ],
  workers: [
    { id: 'w1', name: '王强', phone: '13800000001', role: 'worker', cells: ['c1-g1'] },
    { id: 'w2', name: '赵敏', phone: '13800000002', role: 'worker', cells: ['c2-g1'] },
    { id: 'sup1', name: '林艳', phone: '13812345678', role: 'supervisor', cells: ['c1-g1'] },
  ],
  devices: [{ id: 'f1', kind: 'smoke', communityId: 'c1', gridCellId: 'c1-g1', buildingId: 'c1-b03', floor: 16, name: { zh: '1604 厨房烟感', en: '1604 kitchen smoke' } }],
};

describe('admin routes (real hub)', () => {
  let hub: Hub;
  let session: HubSession;
  beforeAll(async () => {
    const dataDir = tempDataDir('admin-routes');
    const configFile = path.join(dataDir, 'hub-config.json');
    fs.writeFileSync(configFile, JSON.stringify(ADMIN_CONFIG));
    hub = await startHub({ dataDir, configFile });
    session = await adminSession(hub.httpUrl, 'gw-admin-routes');
  }, 60_000);
  afterAll(async () => {
    await hub?.stop();
  });

  it('deletes an account, ends its sessions at once, audits it, and refuses deleting oneself', async () => {
    await createUser(hub.httpUrl, session.token, { ...OPERATOR, role: 'operator', communities: ['c1'] });
    const opToken = await login(hub.httpUrl, OPERATOR);
    const del = await session.fetch(`${hub.httpUrl}/api/users/op`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    const me = await fetch(`${hub.httpUrl}/api/auth/me`, { headers: { authorization: `Bearer ${opToken}` } });
    expect(me.status).toBe(401);
    expect((await session.fetch(`${hub.httpUrl}/api/users/op`, { method: 'DELETE' })).status).toBe(404);
    const self = await session.fetch(`${hub.httpUrl}/api/users/${TEST_ADMIN.username}`, { method: 'DELETE' });
    expect(self.status).toBe(400);
    const audit = (await (await session.fetch(`${hub.httpUrl}/api/audit?action=user.delete`)).json()) as { entries: { target: string; ok: boolean }[] };
    expect(audit.entries.some((e) => e.target === 'op' && e.ok)).toBe(true);
  });

  it('refuses DELETE /api/users to a non-admin', async () => {
    await createUser(hub.httpUrl, session.token, { username: 'op2', password: OPERATOR.password, role: 'operator', communities: ['c1'] });
    const t = await login(hub.httpUrl, { username: 'op2', password: OPERATOR.password });
    const r = await fetch(`${hub.httpUrl}/api/users/admin`, { method: 'DELETE', headers: { authorization: `Bearer ${t}` } });
    expect(r.status).toBe(403);
  });
});

describe.skipIf(!hasChromium)('admin pages in the browser (real hub)', () => {
  let browser: Browser;
  let hub: Hub;
  let session: HubSession;

  const open = (locale: 'zh-CN' | 'en', viewport = BIG, user: { username: string; password: string } = TEST_ADMIN, tab = ''): Promise<Page> =>
    openLoggedIn(browser, `${hub.httpUrl}/admin${tab}`, user, { locale, viewport, ready: '[data-testid=admin-view]' });
  async function shot(p: Page, name: string): Promise<void> {
    const file = artifactPath(`admin-${name}.png`);
    await p.screenshot({ path: file, fullPage: false });
    keep(file);
  }

  beforeAll(async () => {
    await ensureDashboardBuilt();
    browser = await launchChromium();
    const dataDir = tempDataDir('admin-ui');
    const configFile = path.join(dataDir, 'hub-config.json');
    fs.writeFileSync(configFile, JSON.stringify(ADMIN_CONFIG));
    hub = await startHub({ dataDir, configFile });
    session = await adminSession(hub.httpUrl, 'gw-admin-ui');
    await createUser(hub.httpUrl, session.token, { ...OPERATOR, role: 'operator', communities: ['c1'] });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('creates a worker account picked from the config workers, by name, and it can log in', async () => {
    const p = await open('zh-CN');
    await p.waitForSelector('[data-testid=user-row][data-username=op]');
    await p.selectOption('[data-testid=user-form] select[name=role]', 'worker');
    const options = await p.$$eval('[data-testid=user-form] select[name=workerId] option', (os) => os.map((o) => o.textContent ?? ''));
    expect(options.some((o) => o.includes('王强') && o.includes('13800000001') && o.includes('第一网格'))).toBe(true);
    await p.selectOption('[data-testid=user-form] select[name=workerId]', 'w1');
    expect(await p.inputValue('[data-testid=user-form] input[name=username]')).toBe('w1');
    expect(await p.inputValue('[data-testid=user-form] input[name=displayName]')).toBe('王强');
    const pw = `w1-${randomBytes(6).toString('hex')}`;
    await p.fill('[data-testid=user-form] input[name=password]', pw);
    await p.click('[data-testid=user-form] button[type=submit]');
    const row = await p.waitForSelector('[data-testid=user-row][data-username=w1]');
    expect(await row.textContent()).toContain('王强');
    const token = await login(hub.httpUrl, { username: 'w1', password: pw });
    const me = (await (await fetch(`${hub.httpUrl}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })).json()) as { user: { role: string; workerId: string; cells: string[] } };
    expect(me.user).toMatchObject({ role: 'worker', workerId: 'w1', cells: ['c1-g1'] });
    // the operator's scope reads as a community name, not an id
    expect(await p.textContent('[data-testid=user-row][data-username=op]')).toContain('幸福里社区');

    // change role, disable, delete
    await p.selectOption('[data-testid=user-row][data-username=op] select', 'viewer');
    await waitFor(async () => (await (await session.fetch(`${hub.httpUrl}/api/users`)).json() as { users: { username: string; role: string }[] }).users.find((u) => u.username === 'op')?.role === 'viewer', 10_000, 'role change');
    await p.click('[data-testid=user-row][data-username=w1] [data-testid=user-toggle]');
    await waitFor(async () => (await p.textContent('[data-testid=user-row][data-username=w1]'))?.includes('已停用'), 10_000, 'disabled');
    expect((await fetch(`${hub.httpUrl}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    p.once('dialog', (d) => void d.accept());
    await p.click('[data-testid=user-row][data-username=w1] [data-testid=user-delete]');
    await waitFor(async () => !(await p.$('[data-testid=user-row][data-username=w1]')), 10_000, 'deleted row');
    await p.context().close();
  });

  it('provisions a device and shows its MQTT credential once, copyable; it connects', async () => {
    const p = await open('en', BIG, TEST_ADMIN, '#devices');
    await p.fill('[data-testid=device-form] input[name=id]', 'new-smoke-1');
    await p.selectOption('[data-testid=device-form] select[name=kind]', 'smoke');
    await p.selectOption('[data-testid=device-form] select[name=communityId]', 'c1');
    await p.selectOption('[data-testid=device-form] select[name=gridCellId]', 'c1-g1');
    await p.selectOption('[data-testid=device-form] select[name=buildingId]', 'c1-b03');
    await p.fill('[data-testid=device-form] input[name=nameZh]', '1701 厨房烟感');
    await p.click('[data-testid=device-form] button[type=submit]');
    await p.waitForSelector('[data-testid=secret-once]');
    const username = await p.textContent('[data-testid=secret-username]');
    const password = (await p.textContent('[data-testid=secret-password]')) ?? '';
    expect(username).toBe('new-smoke-1');
    expect(password.length).toBeGreaterThan(15);
    await p.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await p.click('[data-testid=secret-copy]');
    expect(await p.evaluate(() => navigator.clipboard.readText())).toBe(password);
    await shot(p, 'devices-en-1920');
    const mqtt = await import('mqtt');
    const c = await mqtt.default.connectAsync(hub.mqttUrl, { clientId: 'new-smoke-1', username: 'new-smoke-1', password, reconnectPeriod: 0 });
    await c.endAsync();
    // once: after closing, nothing shows the password again
    await p.click('[data-testid=secret-once] button:last-child');
    expect(await p.content()).not.toContain(password);
    await p.context().close();
  });

  it('creates a gateway, regenerates the Mosquitto files, and filters the audit log', async () => {
    const p = await open('zh-CN', BIG, TEST_ADMIN, '#mqtt');
    await p.fill('[data-testid=gateway-form] input[name=gatewayId]', 'gw-east');
    await p.selectOption('[data-testid=gateway-form] select[name=gatewayScope]', 'c2');
    await p.click('[data-testid=gateway-form] button[type=submit]');
    await p.waitForSelector('[data-testid=secret-once]');
    const row = await p.waitForSelector('[data-testid=credential-row][data-username=gw-east]');
    expect(await row.textContent()).toContain('和平社区');
    await p.click('[data-testid=mosquitto-regenerate]');
    await p.waitForSelector('[data-testid=mosquitto-file]');
    const [download] = await Promise.all([p.waitForEvent('download'), p.click('[data-testid=mosquitto-file] >> text=acl_file')]);
    const acl = fs.readFileSync((await download.path())!, 'utf8');
    expect(acl).toContain('user gw-east');
    await shot(p, 'mqtt-zh-1920');

    await p.click('[data-testid=admin-tab-audit]');
    await p.waitForSelector('[data-testid=audit-row]');
    await p.selectOption('[data-testid=audit-filter] select[name=action]', 'gateway.create');
    await p.click('[data-testid=audit-filter] button[type=submit]');
    await waitFor(async () => {
      const actions = await p.$$eval('[data-testid=audit-row]', (rs) => rs.map((r) => r.getAttribute('data-action')));
      return actions.length > 0 && actions.every((a) => a === 'gateway.create');
    }, 10_000, 'filtered audit');
    expect(await p.textContent('[data-testid=audit-table]')).toContain('gw-east');
    await p.context().close();
  });

  it('on a hub without any account, the login page says how to create the first admin (zh and en); not once one exists', async () => {
    const dataDir = tempDataDir('admin-first-run');
    const fresh = await startHub({ dataDir, bootstrapAdmin: undefined });
    try {
      for (const [locale, text] of [['zh-CN', '创建第一个管理员'], ['en', 'Create the first admin']] as const) {
        const ctx = await browser.newContext({ viewport: BIG, bypassCSP: true });
        await ctx.addInitScript((l) => localStorage.setItem('hub.locale', l), locale);
        const p = await ctx.newPage();
        await p.goto(`${fresh.httpUrl}/admin`);
        const hint = await p.waitForSelector('[data-testid=first-run-hint]', { timeout: 60_000 });
        const said = (await hint.textContent()) ?? '';
        expect(said).toContain(text);
        expect(said).toContain('npm run admin -- create-admin admin');
        expect(said).toContain('setup token');
        expect(await seriousViolations(p)).toEqual([]);
        await shot(p, `first-run-${locale === 'en' ? 'en' : 'zh'}-1920`);
        await ctx.close();
      }
    } finally {
      await fresh.stop();
    }
    const ctx = await browser.newContext({ viewport: BIG });
    const p = await ctx.newPage();
    await p.goto(`${hub.httpUrl}/`);
    await p.waitForSelector('[data-testid=login-form]', { timeout: 60_000 });
    await p.waitForTimeout(500);
    expect(await p.$('[data-testid=first-run-hint]')).toBeNull();
    await ctx.close();
  });

  it('pairs a wall screen from the admin page; the screen opens the control room; revoking refuses it at once', async () => {
    const p = await open('zh-CN', BIG, TEST_ADMIN, '#displays');
    await p.fill('[data-testid=display-form] input[name=displayName]', '综治中心大屏');
    await p.selectOption('[data-testid=display-form] select[name=displayScope]', 'c1');
    await p.click('[data-testid=display-form] button[type=submit]');
    const url = (await (await p.waitForSelector('[data-testid=display-url]')).textContent()) ?? '';
    const row = await p.waitForSelector('[data-testid=display-row]');
    expect(await row.textContent()).toContain('幸福里社区');
    await shot(p, 'displays-zh-1920');

    const screenCtx = await browser.newContext({ viewport: BIG });
    const screen = await screenCtx.newPage();
    await screen.goto(url);
    await screen.waitForSelector('[data-testid=control-room]', { timeout: 60_000 });
    const cookies = await screenCtx.cookies();
    const token = cookies.find((c) => c.name === 'hub_session')!.value;
    expect((await fetch(`${hub.httpUrl}/api/alerts`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    // a fire on the screen's community: the wall screen may acknowledge it, and only that
    const device = await mqtt.connectAsync(hub.mqttUrl, { clientId: `admin-wall-${randomBytes(3).toString('hex')}`, reconnectPeriod: 0, ...session.gateway });
    await device.publishAsync('community/c1/smoke/f1/event', JSON.stringify({ type: 'alarm' }), { qos: 1 });
    await device.endAsync();
    await screen.click('[data-testid=alert-row]', { timeout: 30_000 });
    await screen.waitForSelector('[data-testid=drawer-ack]');
    expect(await screen.$('[data-testid=drawer-resolve]')).toBeNull();
    expect(await screen.$('[data-testid=drawer-assign]')).toBeNull();
    await screen.click('[data-testid=drawer-ack]');
    await waitFor(async () => {
      const r = (await (await session.fetch(`${hub.httpUrl}/api/alerts?state=acknowledged`)).json()) as { alerts: { deviceId: string }[] };
      return r.alerts.some((a) => a.deviceId === 'f1');
    }, 15_000, 'acknowledged from the wall screen');
    // the link works once
    const second = await (await browser.newContext()).newPage();
    await second.goto(url);
    await second.waitForSelector('[data-testid=display-pair] [role=alert]');
    await second.context().close();

    await p.reload();
    await p.waitForSelector('[data-testid=display-row]');
    expect(await p.textContent('[data-testid=display-row]')).toContain('已配对');
    p.once('dialog', (d) => void d.accept());
    await p.click('[data-testid=display-revoke]');
    await waitFor(async () => !(await p.$('[data-testid=display-row]')), 10_000, 'revoked row');
    expect((await fetch(`${hub.httpUrl}/api/alerts`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    await screenCtx.close();
    await p.context().close();
  });

  it('refuses the page to an operator', async () => {
    const p = await open('en', BIG, { username: 'op', password: OPERATOR.password });
    await p.waitForSelector('[data-testid=admin-denied]');
    expect(await p.$('[data-testid=users-table]')).toBeNull();
    await p.context().close();
  });

  it('has no serious accessibility violations, and screenshots in zh, en and on a phone', async () => {
    for (const [locale, viewport, label] of [['zh-CN', BIG, 'zh-1920'], ['en', BIG, 'en-1920'], ['zh-CN', PHONE, 'zh-390']] as const) {
      for (const tab of ['users', 'devices', 'mqtt', 'displays', 'audit']) {
        const p = await open(locale, viewport, TEST_ADMIN, `#${tab}`);
        await p.waitForTimeout(300);
        const violations = await seriousViolations(p);
        expect(violations.map((v) => `${tab} ${label} ${v.id}: ${v.help} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
        if (tab === 'users' || label !== 'zh-390') await shot(p, `${tab}-${label}`);
        await p.context().close();
      }
    }
  }, 180_000);
});
