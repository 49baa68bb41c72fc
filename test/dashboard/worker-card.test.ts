// The people card in the alert drawer (issue 16: assign from a list): the cell's supervisor, workers
// and the control-room lead by name and role, each phone readable and a tel: link, and who the hub can
// reach beyond a call; in zh and en at 1920×1080 and on a 390×844 phone, with screenshots, in Debian's
// chromium against a real hub.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Hub } from '../../server/src/hub.ts';
import { createUser, type HubSession } from '../helpers/auth.ts';
import { configuredHub, keepShot, type ConfiguredHub } from './configured-hub.ts';
import { describeViolations, seriousViolations } from './axe.ts';
import { artifactPath, hasChromium, launchChromium, waitFor } from './browser.ts';
import { ensureDashboardBuilt } from './build.ts';
import { openLoggedIn } from './login-page.ts';
import { NAMED_CONFIG } from './named-config.ts';

const OPERATOR = { username: 'op', password: `op-${randomBytes(8).toString('hex')}` };
const WORKER = { username: 'wangq', password: `wq-${randomBytes(8).toString('hex')}` };
const SIZES = { '1920': { width: 1920, height: 1080 }, '390': { width: 390, height: 844 } } as const;

describe.skipIf(!hasChromium)('the people card in the drawer (real hub)', () => {
  let browser: Browser;
  let fixture: ConfiguredHub;
  let hub: Hub;
  let session: HubSession;
  let alertId = '';

  beforeAll(async () => {
    await ensureDashboardBuilt();
    browser = await launchChromium();
    fixture = await configuredHub('worker-card', NAMED_CONFIG);
    ({ hub, session } = fixture);
    await createUser(hub.httpUrl, session.token, { ...OPERATOR, role: 'operator', communities: ['c1'] });
    await createUser(hub.httpUrl, session.token, { ...WORKER, role: 'worker', workerId: 'w1' });
    await fixture.publish('c1', 't1', 'event', { type: 'tamper' });
    alertId = await waitFor(async () => {
      const r = (await (await session.fetch(`${hub.httpUrl}/api/alerts?state=unresolved`)).json()) as { alerts: { id: string; deviceId: string }[] };
      return r.alerts.find((a) => a.deviceId === 't1')?.id;
    }, 30_000, 'tamper alert');
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await fixture?.stop();
  }, 60_000);

  async function card(locale: 'zh-CN' | 'en', size: keyof typeof SIZES): Promise<Page> {
    const p = await openLoggedIn(browser, hub.httpUrl + '/', OPERATOR, { locale, viewport: SIZES[size] });
    await p.click(`[data-testid=alert-row][data-alert-id="${alertId}"]`);
    await p.waitForSelector('[data-testid=assign-list]');
    await p.locator('[data-testid=assign-list]').scrollIntoViewIfNeeded();
    return p;
  }
  const people = (p: Page) =>
    p.$$eval('[data-testid=assign-person]', (els) =>
      els.map((e) => ({
        id: e.getAttribute('data-person-id'),
        name: e.querySelector('.pname')?.textContent?.trim(),
        role: e.querySelector('.prole')?.textContent?.trim(),
        tel: e.querySelector('[data-testid=assign-tel]')?.getAttribute('href'),
        phone: e.querySelector('[data-testid=assign-tel]')?.textContent?.trim(),
        reach: [...e.querySelectorAll('.chip')].map((c) => c.textContent?.trim()),
      })),
    );

  const EXPECTED = {
    'zh-CN': [
      { id: 'sup1', name: '林艳', role: '网格长', tel: 'tel:13812345678', phone: '138 1234 5678', reach: ['仅电话'] },
      { id: 'w1', name: '王强', role: '网格员', tel: 'tel:13800000001', phone: '138 0000 0001', reach: ['网格员页面', '企业微信'] },
      { id: 'lead1', name: '陈刚', role: '综治中心负责人', tel: 'tel:13800000005', phone: '138 0000 0005', reach: ['仅电话'] },
    ],
    en: [
      { id: 'sup1', name: '林艳', role: 'cell supervisor', tel: 'tel:13812345678', phone: '138 1234 5678', reach: ['Phone only'] },
      { id: 'w1', name: '王强', role: 'grid worker', tel: 'tel:13800000001', phone: '138 0000 0001', reach: ['Worker page', 'WeCom'] },
      { id: 'lead1', name: '陈刚', role: 'control-room lead', tel: 'tel:13800000005', phone: '138 0000 0005', reach: ['Phone only'] },
    ],
  } as const;

  for (const locale of ['zh-CN', 'en'] as const) {
    for (const size of ['1920', '390'] as const) {
      it(`${locale} at ${size}: names, roles, full phones to dial, who the hub can reach; nothing cut off`, async () => {
        const p = await card(locale, size);
        const file = artifactPath(`worker-card-${locale === 'en' ? 'en' : 'zh'}-${size}.png`);
        await p.screenshot({ path: file });
        keepShot(file);
        expect(await people(p)).toEqual(EXPECTED[locale]);
        // a label, capitalised on screen ("Cell supervisor"); the text stays the sentence form
        if (locale === 'en') expect(await p.$eval('[data-testid=assign-person] .prole', (e) => getComputedStyle(e, '::first-letter').textTransform)).toBe('uppercase');
        // nothing in the header runs off a phone's screen either
        expect(await p.$$eval('[data-testid=control-room] header.top *', (els) => els.filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).map((e) => e.textContent))).toEqual([]);
        // every card fits its width: no name, phone or chip runs out of the drawer
        const overflow = await p.$$eval('[data-testid=assign-person]', (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > window.innerWidth).length);
        expect(overflow).toBe(0);
        // the call and assign targets are big enough to hit on a phone
        const small = await p.$$eval('[data-testid=assign-person] a, [data-testid=assign-person] button', (els) => els.filter((e) => e.getBoundingClientRect().height < 32).map((e) => e.textContent));
        expect(small).toEqual([]);
        if (size === '1920') expect(describeViolations(await seriousViolations(p))).toEqual([]);
        await p.context().close();
      });
    }
  }
});
