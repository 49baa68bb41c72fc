// The case board in Debian's chromium against a real hub: the control room sees a patrol report
// in its stage's column, opens it and accepts it; the hub has it accepted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { hasChromium, launchChromium, waitFor } from '../dashboard/browser.ts';
import { ensureDashboardBuilt } from '../dashboard/build.ts';
import { openLoggedIn } from '../dashboard/login-page.ts';
import { CASE_PASSWORD, startCaseHub, type CaseHub } from './case-hub.ts';

describe.skipIf(!hasChromium)('case board in the browser', () => {
  let browser: Browser;
  let h: CaseHub;
  beforeAll(async () => {
    await ensureDashboardBuilt();
    browser = await launchChromium();
    h = await startCaseHub(Date.now());
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  it('shows the case in its column with its rates, and accepts it from the detail', async () => {
    const made = await h.as('zhang')({ method: 'POST', url: '/api/cases', payload: { title: '楼道堆物', category: 'hazard', communityId: 'hx', gridCellId: 'g1', description: '3 楼纸箱', source: 'patrol' } });
    const { id, code } = made.body.case as { id: string; code: string };
    const errors: string[] = [];
    const p = await openLoggedIn(browser, `${h.hub.httpUrl}/`, { username: 'op', password: CASE_PASSWORD }, { locale: 'en', errors });
    const ctx = p.context();
    await p.click('[data-testid=tab-figures]');
    await p.waitForSelector('[data-testid=case-board]');
    const card = p.locator('.col[data-stage=reported] .card', { hasText: code });
    await card.waitFor();
    expect(await p.locator('[data-testid=case-rates]').textContent()).toContain('Closure');
    await card.click();
    await p.waitForSelector('[data-testid=case-detail]');
    expect(await p.locator('[data-testid=case-detail]').textContent()).toContain('3 楼纸箱');
    await p.locator('[data-testid=case-detail] .actions button', { hasText: 'Accept' }).click();
    await p.locator('[data-testid=case-detail] form input').first().fill('received');
    await p.locator('[data-testid=case-detail] form button[type=submit]').click();
    await waitFor(() => h.hub.cases.get(id)?.stage === 'accepted', 20_000, 'the case accepted on the hub');
    await p.locator('.col[data-stage=accepted] .card', { hasText: code }).waitFor();
    expect(h.hub.cases.get(id)!.history.at(-1)).toMatchObject({ action: 'accept', by: 'op', note: 'received' });
    expect(errors).toEqual([]);
    await ctx.close();
  });
});
