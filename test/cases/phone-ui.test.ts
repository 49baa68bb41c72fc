// The grid worker's phone in Debian's chromium against a real hub: my cases (accept, dispose with
// photo and note) and the patrol report, written while offline, queued in the page, and sent
// exactly once when the network returns — also when the first answer is lost on the way back.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { artifactPath, hasChromium, launchChromium, waitFor } from '../dashboard/browser.ts';
import { ensureDashboardBuilt } from '../dashboard/build.ts';
import { openLoggedIn } from '../dashboard/login-page.ts';
import { keepShot } from '../dashboard/configured-hub.ts';
import { CASE_PASSWORD, startCaseHub, type CaseHub } from './case-hub.ts';

/** An RGB PNG of w×h in one colour (what a camera's file chooser hands over; the page re-encodes it as JPEG). */
function png(w: number, h: number, [r, g, b]: [number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(Buffer.concat([Buffer.from(type), data])));
    return Buffer.concat([len, Buffer.from(type), data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: w }, () => [r, g, b]).flat())]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
const PNG = png(64, 48, [200, 80, 40]);

describe.skipIf(!hasChromium)('the worker’s phone: my cases and the offline outbox', () => {
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

  async function phone(lang: 'en' | 'zh-CN'): Promise<{ ctx: BrowserContext; p: Page; errors: string[] }> {
    const errors: string[] = [];
    const p = await openLoggedIn(browser, `${h.hub.httpUrl}/worker`, { username: 'zhang', password: CASE_PASSWORD }, { viewport: { width: 390, height: 844 }, phone: true, locale: lang, errors, ready: '[data-testid=worker-view]' });
    return { ctx: p.context(), p, errors };
  }

  const dispatched = async (title: string) => {
    const post = (url: string, payload: object) => h.as('opall')({ method: 'POST', url, payload });
    const { id, code } = (await post('/api/cases', { title, category: 'hazard', communityId: 'hx', gridCellId: 'g1', description: '3号楼东侧', source: 'patrol' })).body.case as { id: string; code: string };
    for (const [a, b] of [['accept', {}], ['register', {}], ['dispatch', { assignee: 'zhang' }]] as const) expect((await post(`/api/cases/${id}/${a}`, b)).status).toBe(200);
    return { id, code };
  };
  const shot = async (p: Page, name: string) => {
    const file = artifactPath(name);
    await p.screenshot({ path: file, fullPage: true });
    keepShot(file);
    expect(fs.statSync(file).size).toBeGreaterThan(10_000);
  };

  it('accepts and disposes a case with a photo while offline; the hub gets it once when the network returns', async () => {
    const { id, code } = await dispatched('楼道堆放杂物');
    const { ctx, p, errors } = await phone('en');
    await p.click('[data-testid=tab-cases]');
    const card = p.locator(`[data-testid=worker-case][data-case-code="${code}"]`);
    await card.waitFor();
    await card.locator('[data-testid=worker-case-receive]').click();
    await waitFor(() => h.hub.cases.get(id)?.history.some((e) => e.action === 'receive'), 20_000, 'the case accepted by its worker');

    await ctx.setOffline(true);
    await card.locator('[data-testid=worker-case-note]').fill('杂物已清理');
    await card.locator('[data-testid=worker-case-photo]').setInputFiles({ name: 'IMG_0001.png', mimeType: 'image/png', buffer: PNG });
    await card.locator('.thumbs img').waitFor();
    await card.locator('[data-testid=worker-case-dispose]').click();
    await card.locator('[data-testid=worker-case-pending]').waitFor();
    await p.locator('[data-testid=outbox-waiting]').waitFor();
    await shot(p, 'phone-offline-en.png');
    // Nothing reached the hub; the request waits in localStorage (a closed tab keeps it) with its key.
    await new Promise((r) => setTimeout(r, 500));
    expect(h.hub.cases.get(id)!.stage).toBe('dispatched');
    const stored = JSON.parse((await p.evaluate(() => localStorage.getItem('hub.worker.outbox'))) ?? '[]') as { key: string; path: string; attempts: number }[];
    expect(stored).toEqual([expect.objectContaining({ path: `/api/cases/${id}/dispose`, key: expect.stringMatching(/^w-/) })]);

    await ctx.setOffline(false);
    await waitFor(() => h.hub.cases.get(id)?.stage === 'disposed', 30_000, 'the disposal on the hub').catch(async (err) => {
      throw new Error(`${String(err)}; outbox: ${(await p.evaluate(() => localStorage.getItem('hub.worker.outbox')))?.slice(-300)} online=${await p.evaluate(() => navigator.onLine)}`);
    });
    await p.locator('[data-testid=outbox-waiting]').waitFor({ state: 'detached' });
    const c = h.hub.cases.get(id)!;
    expect(c.history.filter((e) => e.action === 'dispose')).toHaveLength(1);
    expect(c.history.at(-1)).toMatchObject({ action: 'dispose', by: 'zhang', note: '杂物已清理' });
    expect(c.photos).toHaveLength(1);
    expect(c.photos[0]).toMatchObject({ type: 'image/jpeg' });
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('a patrol report whose first answer is lost is sent again with the same key, and is one case', async () => {
    const { ctx, p, errors } = await phone('zh-CN');
    const before = h.hub.cases.list({ limit: 10_000 }).length;
    // The first POST reaches the hub, but its answer never reaches the phone.
    let dropped = 0;
    const keys: string[] = [];
    await p.route('**/api/cases', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (dropped++ === 0) {
        await route.fetch();
        return route.abort('connectionreset');
      }
      return route.continue();
    });
    await p.click('[data-testid=tab-report]');
    await p.waitForSelector('[data-testid=patrol-category] option[value=hazard]', { state: 'attached' });
    await p.fill('[data-testid=patrol-place]', '3号楼东侧消防通道');
    await p.fill('[data-testid=patrol-description]', '电动车停在消防通道');
    await p.locator('[data-testid=patrol-photo]').setInputFiles({ name: 'a.png', mimeType: 'image/png', buffer: PNG });
    await p.locator('.thumbs img').waitFor();
    await shot(p, 'phone-report-zh.png');
    await p.click('[data-testid=patrol-submit]');
    await p.locator('[data-testid=outbox-waiting]').waitFor();
    await shot(p, 'phone-outbox-zh.png');
    await waitFor(() => h.hub.cases.list({ limit: 10_000 }).length === before + 1, 20_000, 'the report on the hub');
    // The page retries (its timer, or the button): the same key, answered from the first time.
    await p.click('[data-testid=outbox-waiting] button');
    await p.locator('[data-testid=outbox-waiting]').waitFor({ state: 'detached' });
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^w-[0-9a-f-]{36}$/);
    const now = h.hub.cases.list({ limit: 10_000 });
    expect(now).toHaveLength(before + 1);
    const made = now.find((c) => c.description === '电动车停在消防通道')!;
    expect(made).toMatchObject({ source: 'patrol', reportedBy: 'zhang', communityId: 'hx', gridCellId: 'g1', placeText: '3号楼东侧消防通道', category: 'hazard' });
    expect(made.title.endsWith('：电动车停在消防通道')).toBe(true);
    expect(made.photos).toHaveLength(1);
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('my cases in both languages at 390×844, a returned one showing the check’s note', async () => {
    const { id } = await dispatched('消防栓被遮挡');
    const post = (url: string, payload: object) => h.as('opall')({ method: 'POST', url, payload });
    await h.as('zhang')({ method: 'POST', url: `/api/cases/${id}/dispose`, payload: { note: '已移开' } });
    expect((await post(`/api/cases/${id}/verify`, { passed: false, note: '仍有遮挡物' })).status).toBe(200);
    for (const lang of ['zh-CN', 'en'] as const) {
      const { ctx, p, errors } = await phone(lang);
      await p.click('[data-testid=tab-cases]');
      await p.locator('[data-testid=worker-case-rework]').first().waitFor();
      expect(await p.locator('[data-testid=worker-case-rework]').first().textContent()).toContain('仍有遮挡物');
      expect(await p.locator('[data-testid=tab-cases]').textContent()).toBe(lang === 'en' ? 'My cases' : '我的事件');
      await shot(p, `phone-cases-${lang === 'en' ? 'en' : 'zh'}.png`);
      expect(errors).toEqual([]);
      await ctx.close();
    }
  });
});
