import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Hub } from '../../server/src/hub.ts';
import { AckLinks } from '../../server/src/notify/people/ack-links.ts';
import { login, authedFetch } from '../helpers/auth.ts';
import { memoryStateDb } from '../helpers/state-db.ts';
import { startDeliveryHub, workerAccount } from './delivery-hub.ts';

describe('one-tap acknowledgement links: signed, bound, single use, expiring', () => {
  const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'csh-ack-'));

  it('accepts its own link once and refuses forged, expired, reused and wrong-alert links', () => {
    const clock = { now: 1_700_000_000_000 };
    const db = memoryStateDb();
    const dataDir = dir();
    const links = new AckLinks(db, dataDir, () => clock.now, 3600_000);
    links.start();
    expect(fs.statSync(path.join(dataDir, 'ack-link.key')).mode & 0o777).toBe(0o600);
    const token = links.issue({ alertId: 'a-1', recipientId: 'w1', channel: 'webpush' });
    expect(links.check('a-1', token)).toMatchObject({ ok: true, claims: { alertId: 'a-1', recipientId: 'w1', channel: 'webpush' } });
    expect(links.check('a-2', token)).toEqual({ ok: false, reason: 'wrong_alert' });
    // Forged: the claims changed (another recipient), or signed with another key.
    const [body, mac] = token.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as unknown[];
    claims[1] = 'lead1';
    expect(links.check('a-1', `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${mac}`)).toEqual({ ok: false, reason: 'forged' });
    const otherHub = new AckLinks(memoryStateDb(), dir(), () => clock.now);
    otherHub.start();
    expect(links.check('a-1', otherHub.issue({ alertId: 'a-1', recipientId: 'w1', channel: 'webpush' }))).toEqual({ ok: false, reason: 'forged' });
    expect(links.check('a-1', 'garbage')).toEqual({ ok: false, reason: 'malformed' });
    // Single use.
    expect(links.use('a-1', token).ok).toBe(true);
    expect(links.use('a-1', token)).toEqual({ ok: false, reason: 'used' });
    // Expired.
    const later = links.issue({ alertId: 'a-1', recipientId: 'w1', channel: 'sms' });
    clock.now += 3600_000;
    expect(links.check('a-1', later)).toEqual({ ok: false, reason: 'expired' });
    // The key is kept: a restarted hub accepts links it issued before.
    const restarted = new AckLinks(db, dataDir, () => clock.now - 1);
    restarted.start();
    expect(restarted.check('a-1', later).ok).toBe(true);
  });
});

describe('acknowledgement link pages on the hub', () => {
  let hub: Hub | undefined;
  afterEach(async () => {
    await hub?.stop();
    hub = undefined;
  });

  it('GET shows a bilingual confirm page without a session, POST acknowledges as the recipient and audits the channel; the link then is used up', async () => {
    hub = await startDeliveryHub();
    await workerAccount(hub, 'zhang', 'w1');
    const alert = hub.alerts.signal(hub.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
    const url = hub.people.ackLinks.url(hub.httpUrl, { alertId: alert.id, recipientId: 'w1', channel: 'wecom' });
    const html_ = { accept: 'text/html,application/xhtml+xml' };
    const page = await fetch(url, { headers: html_ });
    expect(page.status).toBe(200);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toContain('确认告警 · Acknowledge');
    expect(html).toContain('<form method="post">');
    expect(hub.alerts.get(alert.id)!.state).toBe('open');

    // The confirm page's form posts urlencoded.
    const done = await fetch(url, { method: 'POST', headers: { ...html_, 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Acknowledged');
    const acked = hub.alerts.get(alert.id)!;
    expect(acked).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'zhang' });
    expect(acked.history.find((h) => h.action === 'acknowledged_via')).toMatchObject({ by: 'zhang', detail: { channel: 'wecom', recipient: '张伟' } });
    const admin = authedFetch(await login(hub.httpUrl));
    const audit = (await (await admin(`${hub.httpUrl}/api/audit?action=alert.ack`)).json()) as { entries: { actor: string; target: string; detail: Record<string, unknown> }[] };
    expect(audit.entries[0]).toMatchObject({ actor: 'zhang', target: alert.id, detail: { via: 'wecom', recipient: 'w1' } });

    const again = await fetch(url, { method: 'POST', headers: { accept: 'application/json' } });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: 'ACK_LINK_USED' });
  });

  it('refuses forged, expired and wrong-alert links, with a page saying why and a count by reason', async () => {
    const clock = { now: Date.now() };
    hub = await startDeliveryHub({ clock: () => clock.now });
    const a = hub.alerts.signal(hub.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
    const b = hub.alerts.signal(hub.registry.get('s4')!, { type: 'fire_alarm', action: 'event' })!;
    const forB = hub.people.ackLinks.issue({ alertId: b.id, recipientId: 'w2', channel: 'sms' });
    const html = { accept: 'text/html' };
    const wrong = await fetch(`${hub.httpUrl}/ack/${a.id}?t=${forB}`, { method: 'POST', headers: { accept: 'application/json' } });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toMatchObject({ error: 'ACK_LINK_WRONG_ALERT' });
    const forged = await fetch(`${hub.httpUrl}/ack/${b.id}?t=${forB.slice(0, -4)}AAAA`, { method: 'POST', headers: html });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('链接无效');
    clock.now += 25 * 3600_000;
    const expired = await fetch(`${hub.httpUrl}/ack/${b.id}?t=${forB}`, { headers: html });
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain('expired');
    expect(hub.alerts.get(a.id)!.state).toBe('open');
    expect(hub.alerts.get(b.id)!.state).toBe('open');
    const metrics = await (await fetch(`${hub.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/hub_ack_links_refused_total\{reason="wrong_alert"\} 1/);
    expect(metrics).toMatch(/hub_ack_links_refused_total\{reason="forged"\} 1/);
    expect(metrics).toMatch(/hub_ack_links_refused_total\{reason="expired"\} 1/);
  });
});
