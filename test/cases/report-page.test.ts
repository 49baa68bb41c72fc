// The printable 日报 / 月报 in Debian's chromium against a real hub on an injected clock: the page's
// figures are the stats route's, the charts and the overdue cases by name are there, and
// DevTools' Page.printToPDF (page.pdf) makes an A4 PDF of it. Screenshots go to REPORT_SHOTS_DIR
// when set, to be looked at.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { CaseActor } from '../../server/src/cases/roles.ts';
import { hasChromium, launchChromium } from '../dashboard/browser.ts';
import { ensureDashboardBuilt } from '../dashboard/build.ts';
import { openLoggedIn } from '../dashboard/login-page.ts';
import { CASE_PASSWORD, startCaseHub, type CaseHub } from './case-hub.ts';

const MIN = 60_000;
const boss: CaseActor = { username: 'boss', ids: new Set(['boss']), roles: new Set(['control', 'supervisor', 'worker']) };
// Yesterday, 10:00 China time: a whole day of the calendar, relative to now.
const day = new Date(Date.now() - 86_400_000 + 480 * MIN).toISOString().slice(0, 10);
const START = Date.parse(`${day}T10:00:00+08:00`);
const percent = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(2)}%`);

describe.skipIf(!hasChromium)('the printable case report', () => {
  let browser: Browser;
  let h: CaseHub;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    await ensureDashboardBuilt();
    browser = await launchChromium();
    h = await startCaseHub(START);
    const make = (key: string, title: string, category: string, communityId: string, gridCellId: string) => {
      ids[key] = h.hub.cases.create({ title, category, description: title, source: 'patrol', communityId, gridCellId }, 'zhang').id;
    };
    make('fire', '电动车楼道充电冒烟', 'fire', 'hx', 'g1');
    make('hazard1', '消防通道堆放杂物', 'hazard', 'hx', 'g1');
    make('hazard2', '井盖松动', 'hazard', 'hx', 'g2');
    make('dispute', '邻里噪音纠纷', 'dispute', 'hx', 'g2');
    make('env', '垃圾清运不及时', 'environment', 'hx', 'g1');
    make('other', '阳泉社区路灯不亮', 'facility', 'yq', 'y1');
    const act = (key: string, action: Parameters<typeof h.hub.cases.act>[1], input: Parameters<typeof h.hub.cases.act>[2] = {}) => {
      h.clock.now += 2 * MIN;
      h.hub.cases.act(ids[key]!, action, { note: 'ok', ...input }, boss);
    };
    for (const k of ['hazard1', 'dispute', 'env']) (act(k, 'accept'), act(k, 'register'), act(k, 'dispatch', { assignee: k === 'env' ? 'zhang' : 'wang' }));
    act('hazard1', 'dispose');
    act('hazard1', 'verify', { passed: true });
    act('hazard1', 'close');
    act('dispute', 'dispose');
    act('dispute', 'verify', { passed: false });
    // Nobody accepts the fire case: five minutes later (fire runs on the clock) it is overdue.
    h.clock.now = START + 30 * MIN;
    h.hub.caseMonitor.tick();
    expect(h.hub.cases.get(ids.fire!)!.overdue).toBe(true);
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  async function shot(p: Page, name: string): Promise<void> {
    const dir = process.env.REPORT_SHOTS_DIR;
    if (!dir) return;
    fs.mkdirSync(dir, { recursive: true });
    await p.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
  }

  it('a community’s daily report: the stats route’s figures, charts, the overdue cases by name, and an A4 PDF', async () => {
    const stats = (await h.as('op')({ method: 'GET', url: `/api/stats/cases?period=day&date=${day}&communityId=hx` })).body;
    expect(stats.total).toBe(5);
    const p = await openLoggedIn(browser, `${h.hub.httpUrl}/report?scope=hx&period=day&date=${day}`, { username: 'op', password: CASE_PASSWORD }, { ready: '[data-testid=report][data-ready=true]', viewport: { width: 900, height: 1270 } });
    const text = async (id: string) => (await p.locator(`[data-testid=${id}]`).textContent())?.trim();
    expect(await text('report-title')).toBe('和谐社区 事件日报');
    expect(await text('report-total')).toBe(String(stats.total));
    expect(await text('report-closed')).toBe(String(stats.closed));
    expect(await text('report-overdue')).toBe(String(stats.overdue));
    for (const k of ['closure', 'onTimeClosure', 'onTimeDisposal']) expect(await text(`report-rate-${k}`), k).toBe(percent(stats.rates[k]));
    // Every rate in the chart, with its counts: 返工率 is 1 of the 2 disposed.
    const rates = (await text('report-rates'))!;
    for (const k of ['closure', 'onTimeClosure', 'onTimeDisposal', 'rework', 'extension', 'firstTime', 'satisfaction']) expect(rates).toContain(percent(stats.rates[k]));
    expect(rates).toContain('返工率');
    expect(rates).toContain(`${percent(stats.rates.rework)}  (${stats.reworked} / ${stats.disposed})`);
    // Categories and cells by name; the other community's case is not here.
    const categories = (await text('report-categories'))!;
    expect(categories).toContain('安全隐患');
    expect(categories).toContain('火情消防');
    expect(await text('report-places')).toContain('一网格');
    const overdue = p.locator('[data-testid=report-overdue-list] tbody tr');
    expect(await overdue.count()).toBe(stats.overdue);
    expect(await overdue.first().textContent()).toContain('电动车楼道充电冒烟');
    expect(await overdue.first().textContent()).toContain('和谐社区 · 一网格');
    expect(await p.locator('body').textContent()).not.toContain('阳泉社区路灯不亮');

    await p.emulateMedia({ media: 'print' });
    expect(await p.locator('[data-testid=report-print]').isVisible()).toBe(false);
    await shot(p, 'report-day-zh');
    const pdf = await p.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
    if (process.env.REPORT_SHOTS_DIR) fs.writeFileSync(path.join(process.env.REPORT_SHOTS_DIR, 'report-day-zh.pdf'), pdf);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    expect(pages).toBeGreaterThanOrEqual(1);
    expect(pages).toBeLessThanOrEqual(2);
    // Every page is A4: 210 × 297 mm is 595.3 × 841.9 pt.
    const boxes = [...pdf.toString('latin1').matchAll(/\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(boxes.length).toBeGreaterThanOrEqual(1);
    for (const [w, hgt] of boxes) expect(Math.abs(w! - 595.3) < 1.5 && Math.abs(hgt! - 841.9) < 1.5, `${w} × ${hgt}`).toBe(true);
    await p.context().close();
  });

  it('the sub-district’s monthly report in English: per community, per day, within the caller’s scope', async () => {
    const month = day.slice(0, 7);
    const stats = (await h.as('opall')({ method: 'GET', url: `/api/stats/cases?period=month&date=${month}&groupBy=community` })).body;
    expect(stats.total).toBe(6);
    const p = await openLoggedIn(browser, `${h.hub.httpUrl}/report?scope=all&period=month&date=${month}`, { username: 'opall', password: CASE_PASSWORD }, { locale: 'en', ready: '[data-testid=report][data-ready=true]', viewport: { width: 900, height: 1270 } });
    expect((await p.locator('[data-testid=report-title]').textContent())?.trim()).toBe('Whole sub-district: monthly case report');
    expect((await p.locator('[data-testid=report-total]').textContent())?.trim()).toBe('6');
    expect((await p.locator('[data-testid=report-rate-closure]').textContent())?.trim()).toBe(percent(stats.rates.closure));
    const rows = p.locator('[data-testid=report-communities] tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.first().textContent()).toContain('Hexie');
    // One column a day of the month, the cases' day carrying them all.
    expect(await p.locator('[data-testid=report-days] rect.total').count()).toBe(new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5)), 0)).getUTCDate());
    await p.emulateMedia({ media: 'print' });
    await shot(p, 'report-month-en');
    expect((await p.pdf({ format: 'A4', preferCSSPageSize: true })).subarray(0, 5).toString()).toBe('%PDF-');
    await p.context().close();
  });

  it('says what is missing when the address has no period', async () => {
    const p = await openLoggedIn(browser, `${h.hub.httpUrl}/report?scope=hx`, { username: 'op', password: CASE_PASSWORD }, { ready: '[data-testid=report-bad-query]' });
    expect(await p.locator('[data-testid=report-bad-query]').textContent()).toContain('period=day');
    await p.context().close();
  });
});
