import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { ClusterAlertStore } from '../../server/src/cluster/alert-store.ts';
import { LeaseManager, LeaseLost } from '../../server/src/cluster/leases.ts';
import { NotificationClaims } from '../../server/src/cluster/notifications.ts';
import type { OutboxItem } from '../../server/src/notify/outbox.ts';
import type { WebhookMessage } from '../../server/src/notify/webhook-channel.ts';
import { openPg } from '../../server/src/state/pg/connect.ts';
import { createLogger } from '../../server/src/log.ts';
import { startPostgres, type PostgresService } from '../helpers/services.ts';
import { waitFor } from '../helpers/ports.ts';
import { alert } from '../dashboard/fixtures.ts';

const log = createLogger('silent');

describe('alert state on PostgreSQL for leased communities', () => {
  let pg: PostgresService;
  let sql: Sql;
  beforeAll(async () => {
    pg = await startPostgres();
    sql = await openPg(await pg.database('alert_store'), log);
  });
  afterAll(async () => {
    await sql?.end();
    await pg?.stop();
  });

  it('commits the holder\'s changes fenced, with their notification, and other hubs read them', async () => {
    const leasesA = new LeaseManager({ sql, hubId: 'a', communities: ['c1', 'c2'], ttlMs: 5000, log });
    await leasesA.start();
    const a = new ClusterAlertStore({ hubId: 'a', log });
    const b = new ClusterAlertStore({ hubId: 'b', log, refreshMs: 200 });
    await a.start(sql);
    await b.start(sql);
    const notices: string[] = [];
    const listener = await sql.listen('hub_alert_change', (p) => void notices.push(p));
    const { writer } = await a.open('c1', leasesA.epoch('c1')!);
    const one = alert({ id: 'a-1', communityId: 'c1', deviceId: 'd1' });
    let emitted = 0;
    a.saveChange({ type: 'opened', alert: one, grouped: false, recipients: [], controlRoom: true, level: 0 }, () => emitted++);
    await writer.committed();
    expect(emitted).toBe(1);
    await waitFor(() => b.get('a-1'), { what: 'b to read it' });
    expect(b.othersUnresolved().map((x) => x.id)).toEqual(['a-1']);
    await waitFor(() => notices.length === 1, { what: 'the notification' });
    expect(JSON.parse(notices[0]!)).toEqual({ id: 'a-1', communityId: 'c1', type: 'opened', hub: 'a' });
    const [row] = await sql<{ epoch: number }[]>`SELECT epoch FROM alerts WHERE id = 'a-1'`;
    expect(row!.epoch).toBe(leasesA.epoch('c1'));

    // The lease goes: a write queued under it is refused and never acknowledged.
    const stale = writer;
    await leasesA.stop();
    stale.saveAlert({ ...one, count: 2 }, 'repeated');
    await expect(stale.committed()).rejects.toBeInstanceOf(LeaseLost);
    await new Promise((r) => setTimeout(r, 300));
    const [after] = await sql<{ data: { count: number } }[]>`SELECT data FROM alerts WHERE id = 'a-1'`;
    expect(after!.data.count).toBe(1);
    await listener.unlisten();
    await a.stop();
    await b.stop();
  });

  it('a robot message committed with its alert by a holder that died is sent by the next holder, once', async () => {
    const leasesA = new LeaseManager({ sql, hubId: 'a', communities: ['m1'], ttlMs: 900, log });
    await leasesA.start();
    const queuedA: WebhookMessage[] = [];
    const message = (alertId: string): WebhookMessage => ({ alertId, level: 0, url: 'http://robot.invalid/send?key=k', format: 'wecom', body: { msgtype: 'text', text: { content: `alarm ${alertId}`, mentioned_mobile_list: [] } }, severity: 'critical' });
    const a = new ClusterAlertStore({ hubId: 'a', log, messages: (change) => [message(change.alert.id)], queue: (ms) => void queuedA.push(...ms) });
    await a.start(sql);
    const { writer } = await a.open('m1', leasesA.epoch('m1')!);
    a.saveChange({ type: 'opened', alert: alert({ id: 'm-1', communityId: 'm1', deviceId: 'md1' }), grouped: false, recipients: [], controlRoom: true, level: 0 }, () => {});
    await writer.committed();
    expect(queuedA.map((m) => m.alertId)).toEqual(['m-1']);
    // Hub a dies before sending: its lease lapses, b takes the community over.
    const epochA = leasesA.epoch('m1')!;
    await leasesA.stop({ release: false });
    await a.stop();
    const leasesB = new LeaseManager({ sql, hubId: 'b', communities: ['m1'], ttlMs: 900, log });
    await leasesB.start();
    await waitFor(async () => (await leasesB.tick(), leasesB.epoch('m1')), { timeoutMs: 5000, what: 'b to take m1 over' });
    const queuedB: WebhookMessage[] = [];
    const b = new ClusterAlertStore({ hubId: 'b', log, queue: (ms) => void queuedB.push(...ms) });
    await b.start(sql);
    const { unsent } = await b.open('m1', leasesB.epoch('m1')!);
    expect(unsent).toEqual([message('m-1')]);
    b.resend(unsent);
    expect(queuedB).toEqual(unsent);

    // Both hubs' outboxes hold the message: only the lease holder's claim sends it, and only once.
    const item = (id: number, m: WebhookMessage): OutboxItem => ({ id, alertId: m.alertId, url: m.url, format: m.format, body: JSON.stringify(m.body), attempts: 0, nextAttemptAt: 0, firstFailureAt: null });
    const claimsA = new NotificationClaims({ sql, hubId: 'a', epochOf: () => epochA });
    const claimsB = new NotificationClaims({ sql, hubId: 'b', epochOf: (c) => leasesB.epoch(c) });
    expect(await claimsA.claim(item(1, queuedA[0]!))).toBe('drop');
    const first = item(1, queuedB[0]!);
    expect(await claimsB.claim(first)).toBe('send');
    // A second copy in b's own outbox waits while the first is in flight.
    expect(await claimsB.claim(item(2, queuedB[0]!))).toBe('later');
    expect(claimsB.stillHeld(first)).toBe(true);
    await claimsB.sent(first);
    await waitFor(async () => (await sql`SELECT 1 FROM notification_outbox WHERE alert_id = 'm-1' AND sent_at IS NOT NULL`).length === 1, { what: 'the send recorded' });
    await waitFor(async () => (await claimsB.claim(item(2, queuedB[0]!))) === 'drop', { what: 'the copy dropped' });
    const [row] = await sql<{ sent_epoch: number }[]>`SELECT sent_epoch FROM notification_outbox WHERE alert_id = 'm-1'`;
    expect(row!.sent_epoch).toBe(leasesB.epoch('m1'));
    await leasesB.stop();
    await b.stop();
  });
});
