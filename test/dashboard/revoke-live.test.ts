// A revoked wall screen, a disabled account and an ended session lose their open /ws at once, with
// a close code that says why (LIVE_CLOSE), not at the next reconnect; the wall screen then shows the
// revoked state in zh and en (issue 16, item 5). Against a real hub; the screen in Debian's chromium.
import { randomBytes } from 'node:crypto';
import type WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { LIVE_CLOSE } from '#devices/wire.ts';
import type { Hub } from '../../server/src/hub.ts';
import { authedFetch, createUser, login, openLive, type HubSession } from '../helpers/auth.ts';
import { configuredHub, keepShot, type ConfiguredHub } from './configured-hub.ts';
import { artifactPath, hasChromium, launchChromium, waitFor } from './browser.ts';
import { ensureDashboardBuilt } from './build.ts';
import { newPage } from './login-page.ts';

const CONFIG = {
  communities: [{ id: 'c1', name: { zh: '幸福里社区', en: 'Xingfuli Community' }, cells: [{ id: 'c1-g1', name: { zh: '第一网格', en: 'Cell 1' }, buildings: [{ id: 'c1-b03', name: { zh: '3号楼', en: 'Building 3' } }] }] }],
  devices: [{ id: 'f1', kind: 'smoke', communityId: 'c1', gridCellId: 'c1-g1', buildingId: 'c1-b03', floor: 16, name: '1604 厨房烟感' }],
};
const pw = () => `pw-${randomBytes(8).toString('hex')}`;

/** Resolves with the close code and reason, and how long after `since` it came. */
function closed(ws: WebSocket, since: () => number): Promise<{ code: number; reason: string; afterMs: number }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString(), afterMs: Date.now() - since() })));
}

describe('revocation closes open live connections at once (real hub)', () => {
  let fixture: ConfiguredHub;
  let hub: Hub;
  let session: HubSession;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (hasChromium) {
      await ensureDashboardBuilt();
      browser = await launchChromium();
    }
    fixture = await configuredHub('revoke-live', CONFIG);
    ({ hub, session } = fixture);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await fixture?.stop();
  }, 60_000);

  async function pairDisplay(name: string): Promise<{ id: string; token: string; code: string }> {
    const created = (await (await session.fetch(`${hub.httpUrl}/api/displays`, { method: 'POST', body: JSON.stringify({ name, communities: ['c1'] }) })).json()) as { display: { id: string }; code: string };
    return { id: created.display.id, code: created.code, token: '' };
  }
  async function pairedToken(code: string): Promise<string> {
    const r = await fetch(`${hub.httpUrl}/api/displays/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
    return ((await r.json()) as { token: string }).token;
  }

  it('revoking a paired wall screen closes its socket with 4410 and a reason, well before the 10 s session check', async () => {
    const d = await pairDisplay('东门大屏');
    const token = await pairedToken(d.code);
    const ws = await openLive(hub.httpUrl, token);
    let at = 0;
    const done = closed(ws, () => at);
    at = Date.now();
    expect((await session.fetch(`${hub.httpUrl}/api/displays/${d.id}`, { method: 'DELETE' })).status).toBe(200);
    const c = await done;
    expect(c.code).toBe(LIVE_CLOSE.displayRevoked);
    expect(c.reason).toBe('this wall screen was revoked by an admin');
    expect(c.afterMs).toBeLessThan(2000);
    // and it cannot come back
    await expect(openLive(hub.httpUrl, token)).rejects.toThrow(/401/);
  });

  it('disabling an account closes its sockets with 4403; others stay open', async () => {
    const op = { username: 'op-dis', password: pw() };
    const other = { username: 'op-keep', password: pw() };
    await createUser(hub.httpUrl, session.token, { ...op, role: 'operator', communities: ['c1'] });
    await createUser(hub.httpUrl, session.token, { ...other, role: 'operator', communities: ['c1'] });
    const [a, b] = [await openLive(hub.httpUrl, await login(hub.httpUrl, op)), await openLive(hub.httpUrl, await login(hub.httpUrl, op))];
    const keep = await openLive(hub.httpUrl, await login(hub.httpUrl, other));
    let at = 0;
    const done = [closed(a, () => at), closed(b, () => at)];
    at = Date.now();
    await session.fetch(`${hub.httpUrl}/api/users/${op.username}`, { method: 'PATCH', body: JSON.stringify({ disabled: true }) });
    for (const c of await Promise.all(done)) {
      expect(c.code).toBe(LIVE_CLOSE.accountRevoked);
      expect(c.reason).toBe('the account was changed or disabled by an admin');
      expect(c.afterMs).toBeLessThan(2000);
    }
    expect(keep.readyState).toBe(keep.OPEN);
    keep.close();
  });

  it('logging out closes that session\'s socket with 4401, not the same account\'s other session', async () => {
    const op = { username: 'op-out', password: pw() };
    await createUser(hub.httpUrl, session.token, { ...op, role: 'operator', communities: ['c1'] });
    const t1 = await login(hub.httpUrl, op);
    const mine = await openLive(hub.httpUrl, t1);
    const elsewhere = await openLive(hub.httpUrl, await login(hub.httpUrl, op));
    let at = 0;
    const done = closed(mine, () => at);
    at = Date.now();
    await authedFetch(t1)(`${hub.httpUrl}/api/auth/logout`, { method: 'POST', body: '{}' });
    const c = await done;
    expect(c.code).toBe(LIVE_CLOSE.sessionEnded);
    expect(c.afterMs).toBeLessThan(2000);
    expect(elsewhere.readyState).toBe(elsewhere.OPEN);
    elsewhere.close();
  });

  it.skipIf(!hasChromium)('the wall screen shows the revoked state at once, in zh and en, and stops reconnecting', async () => {
    for (const [locale, title, hint] of [
      ['zh-CN', '此大屏已被管理员吊销，告警画面已停止更新', '请管理员重新配对'],
      ['en', 'An admin revoked this wall screen: it has stopped updating', 'Ask an admin to pair it again'],
    ] as const) {
      const d = await pairDisplay(`大屏 ${locale}`);
      const screen = await newPage(browser!, { locale });
      let upgrades = 0;
      screen.on('websocket', () => upgrades++);
      await screen.goto(`${hub.httpUrl}/display?code=${encodeURIComponent(d.code)}`);
      await screen.waitForSelector('[data-testid=control-room]', { timeout: 60_000 });
      await waitFor(async () => (await screen.getAttribute('[data-testid=conn-state]', 'data-state')) === 'open', 15_000, 'live');
      // the screen names itself by its display name, not its credential's id
      expect(await screen.textContent('[data-testid=control-room] .user')).toBe(locale === 'en' ? `大屏 ${locale} (Wall screen)` : `大屏 ${locale}（值班大屏）`);
      const at = Date.now();
      await session.fetch(`${hub.httpUrl}/api/displays/${d.id}`, { method: 'DELETE' });
      const overlay = await screen.waitForSelector('[data-testid=session-ended][data-why=display]', { timeout: 5000 });
      expect(Date.now() - at).toBeLessThan(5000);
      const text = (await overlay.textContent()) ?? '';
      // both languages on the notice, the hint in the screen's own
      expect(text).toContain('此大屏已被管理员吊销，告警画面已停止更新');
      expect(text).toContain('An admin revoked this wall screen: it has stopped updating');
      expect(await screen.textContent('#session-ended-title')).toContain(title);
      expect(text).toContain(hint);
      // the room stays behind the notice; no reconnect loop against a dead credential
      expect(await screen.$('[data-testid=control-room]')).not.toBeNull();
      expect(await screen.getAttribute('[data-testid=conn-state]', 'data-state')).toBe('down');
      const seen = upgrades;
      await screen.waitForTimeout(2500);
      expect(upgrades).toBe(seen);
      const file = artifactPath(`display-revoked-${locale}-1920.png`);
      await screen.screenshot({ path: file });
      keepShot(file);
      await screen.context().close();
    }
  });
});
