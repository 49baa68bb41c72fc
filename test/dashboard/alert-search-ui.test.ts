// Alert search and export (issue 16 item 9) in Debian's chromium against the real hub: the
// control room's search tab finds resolved alerts by filter, names places, and its export link
// downloads the same rows as CSV with the session cookie.
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Hub } from '../../server/src/hub.ts';
import { createUser, type HubSession } from '../helpers/auth.ts';
import { configuredHub, keepShot, type ConfiguredHub } from './configured-hub.ts';
import { describeViolations, seriousViolations } from './axe.ts';
import { artifactPath, hasChromium, launchChromium, waitFor } from './browser.ts';
import { ensureDashboardBuilt } from './build.ts';
import { openLoggedIn } from './login-page.ts';

const CONFIG = {
  communities: [
    {
      id: 'c1',
      name: { zh: '幸福里社区', en: 'Xingfuli' },
      cells: [{ id: 'c1-g1', name: { zh: '第一网格', en: 'Cell 1' }, buildings: [{ id: 'c1-b1', name: { zh: '3号楼', en: 'Building 3' }, floors: 6 }] }],
    },
  ],
  devices: [
    { id: 'c1-s1', kind: 'smoke', communityId: 'c1', gridCellId: 'c1-g1', buildingId: 'c1-b1', floor: 2, name: '201 厨房烟感' },
    { id: 'c1-s2', kind: 'smoke', communityId: 'c1', gridCellId: 'c1-g1', buildingId: 'c1-b1', floor: 5, name: '502 走廊烟感' },
  ],
};
const OPERATOR = { username: 'searcher', password: `se-${randomBytes(8).toString('hex')}` };

describe.skipIf(!hasChromium)('alert search tab (real hub)', () => {
  let browser: Browser;
  let hub: Hub;
  let session: HubSession;
  let fixture: ConfiguredHub;
  const alerts = async () => ((await (await session.fetch(`${hub.httpUrl}/api/alerts`)).json()) as { alerts: { id: string; deviceId: string; state: string }[] }).alerts;

  beforeAll(async () => {
    await ensureDashboardBuilt();
    browser = await launchChromium();
    fixture = await configuredHub('search-ui', CONFIG);
    ({ hub, session } = fixture);
    await createUser(hub.httpUrl, session.token, { ...OPERATOR, role: 'operator', communities: ['c1'] });
    await fixture.publish('c1', 'c1-s1', 'event', { type: 'alarm' });
    await fixture.publish('c1', 'c1-s2', 'event', { type: 'tamper' });
    await waitFor(async () => (await alerts()).length === 2, 30_000, 'two alerts');
    // the fire alarm is handled and resolved: search is where it can still be found
    const fire = (await alerts()).find((a) => a.deviceId === 'c1-s1')!;
    for (const action of ['ack', 'resolve']) {
      const r = await session.fetch(`${hub.httpUrl}/api/alerts/${fire.id}/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ note: 'test' }) });
      expect(r.status, action).toBeLessThan(300);
    }
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await fixture?.stop();
  }, 60_000);

  it('finds the resolved alert by state, shows its place by name, and exports it as CSV', async () => {
    const p = await openLoggedIn(browser, hub.httpUrl + '/', OPERATOR, { locale: 'zh-CN', acceptDownloads: true, ready: '[data-testid=control-room]' });
    await p.click('[data-testid=tab-search]', { timeout: 60_000 });
    await p.waitForSelector('[data-testid=alert-search]');
    await p.selectOption('[data-testid=search-state]', 'resolved');
    await p.click('[data-testid=search-submit]');
    const rows = p.locator('[data-testid=search-row]');
    await waitFor(async () => (await rows.count()) === 1, 15_000, 'one resolved alert');
    const text = (await rows.first().textContent()) ?? '';
    expect(text).toContain('3号楼');
    expect(text).toContain('201 厨房烟感');
    const shot = artifactPath('search-zh.png');
    await p.screenshot({ path: shot });
    keepShot(shot);
    expect(describeViolations(await seriousViolations(p))).toEqual([]);

    const [download] = await Promise.all([p.waitForEvent('download'), p.click('[data-testid=search-export]')]);
    const csv = fs.readFileSync((await download.path())!, 'utf8');
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    const lines = csv.slice(1).trim().split(/\r?\n/);
    expect(lines).toHaveLength(2); // heading + the one resolved alert
    expect(lines[1]).toContain('201 厨房烟感');
    await p.context().close();
  });
});
