// The sub-district (街道) overview (issue 16 item 7) in Debian's chromium against the real hub:
// one card per community with open alerts by severity, the most urgent alert, devices online and
// the mean time to acknowledge (GET /api/stats/communities), drill-down into one community and back.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Hub } from '../../server/src/hub.ts';
import type { CommunityStatsReply } from '../../devices/src/wire.ts';
import { createUser, type HubSession } from '../helpers/auth.ts';
import { configuredHub, keepShot, type ConfiguredHub } from './configured-hub.ts';
import { describeViolations, seriousViolations } from './axe.ts';
import { artifactPath, hasChromium, launchChromium, waitFor } from './browser.ts';
import { ensureDashboardBuilt } from './build.ts';
import { openLoggedIn } from './login-page.ts';

const NAMES = ['幸福里', '光明', '和平'];
const CONFIG = {
  communities: NAMES.map((zh, i) => ({
    id: `c${i + 1}`,
    name: { zh: `${zh}社区`, en: `Community ${i + 1}` },
    cells: [{ id: `c${i + 1}-g1`, name: { zh: '第一网格', en: 'Cell 1' }, buildings: [{ id: `c${i + 1}-b1`, name: { zh: '1号楼', en: 'Building 1' }, floors: 6 }] }],
  })),
  devices: NAMES.flatMap((_, i) =>
    Array.from({ length: 3 }, (_, k) => ({ id: `c${i + 1}-s${k + 1}`, kind: 'smoke', communityId: `c${i + 1}`, gridCellId: `c${i + 1}-g1`, buildingId: `c${i + 1}-b1`, floor: k + 1, name: `${k + 1}01 烟感` })),
  ),
};
const OPERATOR = { username: 'street', password: `st-${randomBytes(8).toString('hex')}` };

describe.skipIf(!hasChromium)('sub-district overview (real hub)', () => {
  let browser: Browser;
  let hub: Hub;
  let session: HubSession;
  let fixture: ConfiguredHub;
  const publish = (communityId: string, deviceId: string, channel: string, payload: unknown) => fixture.publish(communityId, deviceId, channel, payload);
  const unresolved = async () => ((await (await session.fetch(`${hub.httpUrl}/api/alerts?state=unresolved`)).json()) as { alerts: { id: string; deviceId: string }[] }).alerts;

  beforeAll(async () => {
    await ensureDashboardBuilt();
    browser = await launchChromium();
    fixture = await configuredHub('district', CONFIG);
    ({ hub, session } = fixture);
    await createUser(hub.httpUrl, session.token, { ...OPERATOR, role: 'operator', communities: ['c1', 'c2', 'c3'] });
    // c2: a fire; c3: a tamper; c1: quiet, two devices online
    await publish('c1', 'c1-s1', 'status', 'online');
    await publish('c1', 'c1-s2', 'status', 'online');
    await publish('c2', 'c2-s1', 'event', { type: 'alarm' });
    await publish('c3', 'c3-s2', 'event', { type: 'tamper' });
    await waitFor(async () => (await unresolved()).length === 2, 30_000, 'two alerts');
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await fixture?.stop();
  }, 60_000);

  it('GET /api/stats/communities gives each community its own figures', async () => {
    const r = (await (await session.fetch(`${hub.httpUrl}/api/stats/communities`)).json()) as CommunityStatsReply;
    const by = Object.fromEntries(r.communities.map((c) => [c.communityId, c]));
    expect(Object.keys(by).sort()).toEqual(['c1', 'c2', 'c3']);
    expect(by.c2!.alerts.unacknowledgedBySeverity.critical).toBe(1);
    expect(by.c1!.alerts.openBySeverity).toEqual({ critical: 0, major: 0, minor: 0, info: 0 });
    await waitFor(async () => {
      const again = (await (await session.fetch(`${hub.httpUrl}/api/stats/communities`)).json()) as CommunityStatsReply;
      return again.communities.find((c) => c.communityId === 'c1')!.devices.online === 2;
    }, 15_000, 'c1 online');
  });

  it('shows every community, the one on fire first, drills into one and back', async () => {
    const p = await openLoggedIn(browser, hub.httpUrl + '/', OPERATOR, { locale: 'zh-CN', ready: '[data-testid=district-view]' });
    const cards = p.locator('[data-testid=district-card]');
    await waitFor(async () => (await cards.count()) === 3, 15_000, 'three cards');
    expect(await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-community-id')))).toEqual(['c2', 'c3', 'c1']);
    const c2 = p.locator('[data-testid=district-card][data-community-id=c2]');
    expect(await c2.locator('[data-testid=district-count-critical]').getAttribute('data-count')).toBe('1');
    expect(await c2.locator('[data-testid=district-worst] strong').textContent()).toBe('火灾报警');
    expect(await c2.textContent()).toContain('1号楼 1层 · 101 烟感');
    const c1 = p.locator('[data-testid=district-card][data-community-id=c1]');
    await waitFor(async () => (await c1.locator('[data-testid=district-online]').textContent())?.includes('66.7%'), 15_000, 'c1 online share');
    const shot = artifactPath('district-zh.png');
    await p.screenshot({ path: shot });
    keepShot(shot);
    expect(describeViolations(await seriousViolations(p))).toEqual([]);

    // drill down: the queue and the plan show that community only
    await c3Click();
    async function c3Click() {
      await p.click('[data-testid=district-card][data-community-id=c3]');
    }
    await p.waitForSelector('[data-testid=plan-svg]');
    expect(await p.textContent('[data-testid=district-crumb]')).toBe('和平社区');
    await waitFor(async () => (await p.locator('[data-testid=alert-row]').count()) === 1, 10_000, 'c3 alerts only');
    expect(await p.textContent('[data-testid=alert-row] [data-testid=alert-place]')).toBe('和平社区 第一网格 1号楼 2层 · 201 烟感'); // several communities in scope: places name theirs
    await p.click('[data-testid=district-back]');
    await p.waitForSelector('[data-testid=district-view]');
    await waitFor(async () => (await p.locator('[data-testid=alert-row]').count()) === 2, 10_000, 'all alerts again');
    await p.context().close();
  });
});
