import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '#devices';
import { ClusterAlertStore } from '../../server/src/cluster/alert-store.ts';
import { PersonClaims } from '../../server/src/cluster/person-claims.ts';
import { LeaseManager } from '../../server/src/cluster/leases.ts';
import { createLogger } from '../../server/src/log.ts';
import { PersonOutbox } from '../../server/src/notify/people/outbox.ts';
import type { PeopleMessages } from '../../server/src/notify/people/people-channel.ts';
import type { PersonMessage } from '../../server/src/notify/people/transport.ts';
import { openPg, type PgSql } from '../../server/src/state/pg/connect.ts';
import { alert } from '../dashboard/fixtures.ts';
import { memoryStateDb } from '../helpers/state-db.ts';
import { waitFor } from '../helpers/ports.ts';
import { startPostgres, type PostgresService } from '../helpers/services.ts';
import { RecordingTransport } from '../push/recording-transport.ts';

const log = createLogger('silent');

/** Delivery to people in cluster mode: a message goes out once, from the community's holder only. */
describe("the people outbox's claims across hubs", () => {
  let pg: PostgresService;
  let sql: PgSql;
  beforeAll(async () => {
    pg = await startPostgres();
    sql = await openPg(await pg.database('person_claims'), log, { max: 4 });
  }, 60_000);
  afterAll(async () => {
    await sql?.end();
    await pg?.stop();
  });

  /** One hub's people outbox (its own SQLite), claiming in the shared state under its leases. */
  function hubOutbox(leases: LeaseManager, a: Alert, { start = true } = {}) {
    const outbox = new PersonOutbox(memoryStateDb(), log, Date.now, { pollMs: 20 });
    const wecom = new RecordingTransport('wecom', (r) => r.accounts?.wecom);
    outbox.register(wecom);
    outbox.claims = new PersonClaims({ sql, hubId: leases.hubId, epochOf: (c) => leases.epoch(c), alertOf: (id) => (id === a.id ? a : undefined) });
    if (start) outbox.start();
    return { outbox, wecom };
  }

  /**
   * One hub's cluster alert store, writing each change's message to the worker in the change's
   * own transaction and queueing it in the hub's outbox once committed (as hub.ts wires PeopleChannel).
   */
  async function hubStore(hubId: string, outbox: PersonOutbox) {
    const store = new ClusterAlertStore({
      hubId,
      log,
      people: {
        messages: (change): PeopleMessages => ({ items: [{ channel: 'wecom', message: message(change.alert, 'opened', 0) }] }),
        queue: (m) => void outbox.enqueue(m.items, 'critical', { requeue: true }),
      },
    });
    await store.start(sql);
    return store;
  }

  /** hub-a holds the community and commits an alarm; it dies (no release) before or after sending, and hub-b takes over. */
  async function alarmThenTakeover(community: string, a: Alert, { sendFirst }: { sendFirst: boolean }) {
    const leasesA = new LeaseManager({ sql, hubId: `${community}-a`, communities: [community], ttlMs: 900, log });
    await leasesA.start();
    await waitFor(() => leasesA.epoch(community), { what: 'hub-a to hold the community' });
    const hubA = hubOutbox(leasesA, a, { start: sendFirst });
    const storeA = await hubStore(leasesA.hubId, hubA.outbox);
    const { writer } = await storeA.open(community, leasesA.epoch(community)!);
    storeA.saveChange({ type: 'opened', alert: a, grouped: false, recipients: [], controlRoom: true, level: 0 });
    await writer.committed();
    // The intent is as durable as the alarm: committed together.
    const [row] = await sql<{ sent_at: number | null; message: { key: string } }[]>`SELECT sent_at, message FROM person_deliveries WHERE alert_id = ${a.id}`;
    expect(row!.message.key).toBe(message(a, 'opened', 0).key);
    if (sendFirst) {
      await waitFor(() => hubA.wecom.sent.length === 1, { timeoutMs: 5000, what: 'hub-a to send it' });
      await waitFor(async () => (await sql`SELECT 1 FROM person_deliveries WHERE alert_id = ${a.id} AND sent_at IS NOT NULL`).length === 1, { timeoutMs: 5000, what: 'the send recorded' });
    } else {
      expect(row!.sent_at).toBeNull();
      expect(hubA.outbox.pending()).toBe(1);
    }
    // hub-a dies: nothing released, its lease lapses.
    await leasesA.stop({ release: false });
    await storeA.stop();
    hubA.outbox.stop();

    const leasesB = new LeaseManager({ sql, hubId: `${community}-b`, communities: [community], ttlMs: 900, log });
    await leasesB.start();
    await waitFor(async () => (await leasesB.tick(), leasesB.epoch(community)), { timeoutMs: 5000, what: 'hub-b to take the community over' });
    const hubB = hubOutbox(leasesB, a);
    const storeB = await hubStore(leasesB.hubId, hubB.outbox);
    const { unsentPeople } = await storeB.open(community, leasesB.epoch(community)!);
    storeB.resend([], unsentPeople);
    return { hubA, hubB, unsentPeople, cleanup: async () => (hubB.outbox.stop(), await storeB.stop(), await leasesB.stop()) };
  }

  const message = (a: Alert, change: PersonMessage['change'], level: number): PersonMessage => ({
    key: `${a.id}|${change}|${level}|w1|wecom`,
    change,
    level,
    alert: a,
    recipient: { id: 'w1', name: '张伟', role: 'worker', accounts: { wecom: 'zhangwei' } } as PersonMessage['recipient'],
    place: { zh: '1号楼', en: 'Building 1' },
    ackUrl: 'https://hub.invalid/ack/x?t=y',
  });

  it('sends a key once: not again from the next holder, never from a hub without the lease', async () => {
    const a = alert({ id: 'a-people-1', communityId: 'c1', severity: 'critical' });
    const leasesA = new LeaseManager({ sql, hubId: 'hub-a', communities: ['c1'], ttlMs: 3000, log });
    await leasesA.start();
    await waitFor(() => leasesA.epoch('c1'), { what: 'hub-a to hold c1' });
    const hubA = hubOutbox(leasesA, a);
    hubA.outbox.enqueue([{ channel: 'wecom', message: message(a, 'opened', 0) }], 'critical');
    await waitFor(() => hubA.wecom.sent.length === 1, { timeoutMs: 5000, what: 'the opening message from hub-a' });
    await waitFor(async () => (await sql`SELECT 1 FROM person_deliveries WHERE alert_id = ${a.id} AND sent_at IS NOT NULL`).length === 1, { timeoutMs: 5000, what: 'the sent claim' });

    // hub-a gives c1 up; hub-b takes it and replays the same change (as after a takeover).
    await leasesA.stop();
    const leasesB = new LeaseManager({ sql, hubId: 'hub-b', communities: ['c1'], ttlMs: 3000, log });
    await leasesB.start();
    await waitFor(() => leasesB.epoch('c1'), { timeoutMs: 10_000, what: 'hub-b to hold c1' });
    const hubB = hubOutbox(leasesB, a);
    hubB.outbox.enqueue([{ channel: 'wecom', message: message(a, 'opened', 0) }, { channel: 'wecom', message: message(a, 'escalated', 1) }], 'critical');
    await waitFor(() => hubB.wecom.sent.length === 1, { timeoutMs: 5000, what: 'the escalation from hub-b' });
    // And hub-a, no longer holding c1, sends nothing it still had queued.
    hubA.outbox.enqueue([{ channel: 'wecom', message: message(a, 'reminded', 1) }], 'critical');
    await waitFor(() => hubA.outbox.pending() === 0 && hubB.outbox.pending() === 0, { timeoutMs: 5000, what: 'both outboxes settled' });
    expect(hubA.wecom.sent.map((m) => m.change)).toEqual(['opened']);
    expect(hubB.wecom.sent.map((m) => m.change)).toEqual(['escalated']);
    const rows = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM person_deliveries WHERE alert_id = ${a.id} AND sent_at IS NOT NULL`;
    expect(rows[0]!.n).toBe(2);
    hubA.outbox.stop();
    hubB.outbox.stop();
    await leasesB.stop();
  }, 60_000);

  it('a message to a person committed with its alarm by a holder that died before sending is sent by the next holder, once', async () => {
    const a = alert({ id: 'a-people-2', communityId: 'p1', deviceId: 'pd2', severity: 'critical' });
    const { hubA, hubB, unsentPeople, cleanup } = await alarmThenTakeover('p1', a, { sendFirst: false });
    expect(unsentPeople.map((m) => m.message.key)).toEqual([message(a, 'opened', 0).key]);
    await waitFor(() => hubB.wecom.sent.length === 1, { timeoutMs: 5000, what: 'hub-b to send the worker the alarm' });
    await waitFor(async () => (await sql`SELECT 1 FROM person_deliveries WHERE alert_id = ${a.id} AND sent_at IS NOT NULL`).length === 1, { timeoutMs: 5000, what: 'the send recorded' });
    // A copy queued again (the change replayed, or hub-a's queue coming back) is not sent again.
    hubB.outbox.enqueue([{ channel: 'wecom', message: message(a, 'opened', 0) }], 'critical', { requeue: true });
    await waitFor(() => hubB.outbox.pending() === 0, { timeoutMs: 5000, what: "hub-b's outbox settled" });
    expect(hubA.wecom.sent).toEqual([]);
    expect(hubB.wecom.sent.map((m) => m.key)).toEqual([message(a, 'opened', 0).key]);
    const [row] = await sql<{ claimed_by: string[]; sent_epoch: number }[]>`SELECT claimed_by, sent_epoch FROM person_deliveries WHERE alert_id = ${a.id}`;
    expect(row!.claimed_by).toHaveLength(1);
    expect(row!.claimed_by[0]).toMatch(/^p1-b@/);
    await cleanup();
  }, 60_000);

  it('a message the dead holder did send is not sent again by the next holder', async () => {
    const a = alert({ id: 'a-people-3', communityId: 'p2', deviceId: 'pd3', severity: 'critical' });
    const { hubA, hubB, unsentPeople, cleanup } = await alarmThenTakeover('p2', a, { sendFirst: true });
    expect(unsentPeople).toEqual([]);
    // The change replayed on the new holder (its events were not all acknowledged): dropped at the claim.
    hubB.outbox.enqueue([{ channel: 'wecom', message: message(a, 'opened', 0) }], 'critical', { requeue: true });
    await waitFor(() => hubB.outbox.pending() === 0, { timeoutMs: 5000, what: "hub-b's outbox settled" });
    expect(hubA.wecom.sent).toHaveLength(1);
    expect(hubB.wecom.sent).toEqual([]);
    await cleanup();
  }, 60_000);

  it('a hub that dropped a message as another holder\'s sends it when the community comes back to it unsent', async () => {
    const a = alert({ id: 'a-people-4', communityId: 'p3', deviceId: 'pd4', severity: 'critical' });
    const leases = new LeaseManager({ sql, hubId: 'p3-a', communities: ['p3'], ttlMs: 3000, log });
    await leases.start();
    await waitFor(() => leases.epoch('p3'), { what: 'p3-a to hold p3' });
    const hub = hubOutbox(leases, a, { start: false });
    const store = await hubStore(leases.hubId, hub.outbox);
    const first = await store.open('p3', leases.epoch('p3')!);
    store.saveChange({ type: 'opened', alert: a, grouped: false, recipients: [], controlRoom: true, level: 0 });
    await first.writer.committed();
    // The lease goes before the attempt: the copy here is dropped, the row stays unsent.
    await leases.stop();
    store.close('p3');
    hub.outbox.start();
    await waitFor(() => hub.outbox.pending() === 0, { timeoutMs: 5000, what: 'the copy dropped' });
    expect(hub.wecom.sent).toEqual([]);
    // The community comes back to this hub: its takeover queues the unsent message again.
    await leases.start();
    await waitFor(() => leases.epoch('p3'), { timeoutMs: 10_000, what: 'p3-a to hold p3 again' });
    const again = await store.open('p3', leases.epoch('p3')!);
    expect(again.unsentPeople).toHaveLength(1);
    store.resend([], again.unsentPeople);
    await waitFor(() => hub.wecom.sent.length === 1, { timeoutMs: 5000, what: 'the message sent on retaking p3' });
    hub.outbox.stop();
    await store.stop();
    await leases.stop();
  }, 60_000);
});
