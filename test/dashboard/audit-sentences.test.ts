// The audit log as sentences with names (issue 16: names in the audit): "19:02 王芳 确认了 3号楼 16层 ·
// 1604 厨房烟感 火灾报警", "王芳 acknowledged … at 19:02". The sentences as pure logic, then the admin page
// in Debian's chromium against a real hub.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Hub } from '../../server/src/hub.ts';
import { auditLine, auditSentence, type AuditNames } from '../../dashboard/src/admin/audit-text.ts';
import type { AuditEntry } from '../../dashboard/src/admin/admin-api.ts';
import { authedFetch, createUser, login, TEST_ADMIN, type HubSession } from '../helpers/auth.ts';
import { configuredHub, keepShot, type ConfiguredHub } from './configured-hub.ts';
import { describeViolations, seriousViolations } from './axe.ts';
import { artifactPath, hasChromium, launchChromium, waitFor } from './browser.ts';
import { ensureDashboardBuilt } from './build.ts';
import { openLoggedIn } from './login-page.ts';
import { NAMED_CONFIG } from './named-config.ts';

describe('audit entries as sentences', () => {
  const names: AuditNames = {
    person: (u) => ({ wangf: '王芳', wangq: '王强' })[u] ?? u,
    alert: (id) => (id === 'a-1' ? '3号楼 16层 · 1604 厨房烟感 火灾报警' : null),
    device: (id) => (id === 'f9' ? '3号楼 17层 · 1701 厨房烟感' : null),
    community: (id) => ({ c1: '幸福里社区' })[id] ?? id,
  };
  const entry = (p: Partial<AuditEntry> & Pick<AuditEntry, 'action'>): AuditEntry => ({ id: 1, at: 0, actor: 'wangf', target: null, ip: null, ok: true, detail: null, ...p });

  it('alerts: acknowledged, assigned, resolved, by name and place', () => {
    expect(auditLine('zh-CN', entry({ action: 'alert.ack', target: 'a-1' }), names, '19:02')).toBe('19:02 王芳 确认了 3号楼 16层 · 1604 厨房烟感 火灾报警');
    expect(auditLine('en', entry({ action: 'alert.ack', target: 'a-1' }), names, '19:02')).toBe('王芳 acknowledged 3号楼 16层 · 1604 厨房烟感 火灾报警 at 19:02');
    expect(auditSentence('zh-CN', entry({ action: 'alert.assign', target: 'a-1', detail: { assignee: 'wangq' } }), names)).toBe('王芳 将 3号楼 16层 · 1604 厨房烟感 火灾报警 指派给 王强');
    expect(auditSentence('en', entry({ action: 'alert.resolve', target: 'a-1', detail: { note: 'false alarm, cooking' } }), names)).toBe('王芳 resolved 3号楼 16层 · 1604 厨房烟感 火灾报警: false alarm, cooking');
    // an alert the page could not look up keeps its id rather than vanishing
    expect(auditSentence('en', entry({ action: 'alert.ack', target: 'a-gone' }), names)).toBe('王芳 acknowledged a-gone');
  });

  it('accounts, devices, gateways, screens and sign-ins', () => {
    expect(auditSentence('zh-CN', entry({ action: 'user.update', target: 'wangq', detail: { disabled: true, role: 'viewer' } }), names)).toBe('王芳 修改了账号 王强：停用，角色改为只读');
    expect(auditSentence('en', entry({ action: 'user.update', target: 'wangq', detail: { password: 'changed', communities: ['c1'] } }), names)).toBe('王芳 changed the account 王强: password reset, communities now 幸福里社区');
    expect(auditSentence('en', entry({ action: 'user.create', target: 'wangq', detail: { role: 'worker' } }), names)).toBe('王芳 created the account 王强 (Grid worker)');
    expect(auditSentence('zh-CN', entry({ action: 'device.provision', target: 'f9', detail: { kind: 'smoke', communityId: 'c1' } }), names)).toBe('王芳 登记了设备 3号楼 17层 · 1701 厨房烟感');
    expect(auditSentence('en', entry({ action: 'gateway.create', target: 'gw-east', detail: { communities: ['c1'] } }), names)).toBe('王芳 created the gateway gw-east (幸福里社区)');
    expect(auditSentence('zh-CN', entry({ action: 'display.revoke', target: '综治中心大屏' }), names)).toBe('王芳 吊销了值班大屏「综治中心大屏」');
    expect(auditSentence('en', entry({ action: 'display.pair', actor: 'display' }), names)).toBe('A wall screen was paired');
    expect(auditSentence('zh-CN', entry({ action: 'auth.login_failed', actor: 'wangf', ok: false, detail: { waitS: 0 } }), names)).toBe('以 王芳 登录失败（用户名或密码错误）（被拒绝）');
    expect(auditSentence('en', entry({ action: 'user.create', actor: 'bootstrap', target: 'admin', detail: { role: 'admin' } }), names)).toBe('Setup created the account admin (Admin)');
    // an action this page does not know yet: still readable, nothing dropped
    expect(auditSentence('en', entry({ action: 'future.thing', target: 'x1' }), names)).toBe('王芳 · future.thing · x1');
  });
});

const OPERATOR = { username: 'wangf', password: `op-${randomBytes(8).toString('hex')}` };

describe.skipIf(!hasChromium)('the audit log page reads as sentences (real hub)', () => {
  let browser: Browser;
  let fixture: ConfiguredHub;
  let hub: Hub;
  let session: HubSession;

  beforeAll(async () => {
    await ensureDashboardBuilt();
    browser = await launchChromium();
    fixture = await configuredHub('audit-sentences', NAMED_CONFIG);
    ({ hub, session } = fixture);
    await createUser(hub.httpUrl, session.token, { ...OPERATOR, role: 'operator', communities: ['c1'], displayName: '王芳' });
    await createUser(hub.httpUrl, session.token, { username: 'wangq', password: `wq-${randomBytes(8).toString('hex')}`, role: 'worker', workerId: 'w1' });
    await fixture.publish('c1', 'f1', 'event', { type: 'alarm' });
    const op = authedFetch(await login(hub.httpUrl, OPERATOR));
    const fire = await waitFor(async () => {
      const r = (await (await op(`${hub.httpUrl}/api/alerts?state=unresolved`)).json()) as { alerts: { id: string; deviceId: string }[] };
      return r.alerts.find((a) => a.deviceId === 'f1');
    }, 30_000, 'fire alarm');
    expect((await op(`${hub.httpUrl}/api/alerts/${fire.id}/ack`, { method: 'POST', body: '{}' })).status).toBe(200);
    expect((await op(`${hub.httpUrl}/api/alerts/${fire.id}/assign`, { method: 'POST', body: JSON.stringify({ assignee: 'wangq' }) })).status).toBe(200);
    await session.fetch(`${hub.httpUrl}/api/users/wangq`, { method: 'PATCH', body: JSON.stringify({ disabled: true }) });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await fixture?.stop();
  }, 60_000);

  async function auditPage(locale: 'zh-CN' | 'en'): Promise<Page> {
    const p = await openLoggedIn(browser, `${hub.httpUrl}/admin#audit`, TEST_ADMIN, { locale, ready: '[data-testid=audit-row]' });
    return p;
  }
  const sentences = (p: Page) => p.$$eval('[data-testid=audit-sentence]', (els) => els.map((e) => e.textContent ?? ''));

  for (const [locale, ack, assign, disable] of [
    ['zh-CN', /^\d\d:\d\d:\d\d 王芳 确认了 3号楼 16层 · 1604 厨房烟感 火灾报警$/, / 王芳 将 3号楼 16层 · 1604 厨房烟感 火灾报警 指派给 王强$/, / admin 修改了账号 王强：停用$/],
    ['en', /^王芳 acknowledged Building 3, floor 16 · 1604 厨房烟感 Fire alarm at \d\d:\d\d:\d\d$/, /^王芳 assigned Building 3, floor 16 · 1604 厨房烟感 Fire alarm to 王强 at /, /^admin changed the account 王强: disabled at /],
  ] as const) {
    it(`${locale}: who did what to which place, by name`, async () => {
      const p = await auditPage(locale);
      const file = artifactPath(`audit-sentences-${locale === 'en' ? 'en' : 'zh'}-1920.png`);
      await waitFor(async () => (await sentences(p)).some((s) => ack.test(s)), 15_000, 'the acknowledgement as a sentence');
      const all = await sentences(p);
      expect(all.some((s) => assign.test(s))).toBe(true);
      expect(all.some((s) => disable.test(s))).toBe(true);
      // the raw action stays beside the sentence as secondary detail
      expect(await p.textContent('[data-testid=audit-row][data-action="alert.ack"]')).toContain('alert.ack');
      expect(describeViolations(await seriousViolations(p))).toEqual([]);
      await p.screenshot({ path: file });
      keepShot(file);
      await p.context().close();
    });
  }
});
