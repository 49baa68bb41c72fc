import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '#devices';
import { PersonClaims } from '../../server/src/cluster/person-claims.ts';
import { LeaseManager } from '../../server/src/cluster/leases.ts';
import { createLogger } from '../../server/src/log.ts';
import { PersonOutbox } from '../../server/src/notify/people/outbox.ts';
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
  function hubOutbox(leases: LeaseManager, a: Alert) {
    const outbox = new PersonOutbox(memoryStateDb(), log, Date.now, { pollMs: 20 });
    const wecom = new RecordingTransport('wecom', (r) => r.accounts?.wecom);
    outbox.register(wecom);
    outbox.claims = new PersonClaims({ sql, hubId: leases.hubId, epochOf: (c) => leases.epoch(c), alertOf: (id) => (id === a.id ? a : undefined) });
    outbox.start();
    return { outbox, wecom };
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
});
