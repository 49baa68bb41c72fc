import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { fenced, LeaseLost, LeaseManager } from '../../server/src/cluster/leases.ts';
import { openPg } from '../../server/src/state/pg/connect.ts';
import { createLogger } from '../../server/src/log.ts';
import { startPostgres, type PostgresService } from '../helpers/services.ts';
import { waitFor } from '../helpers/ports.ts';

const log = createLogger((process.env.TEST_LOG_LEVEL as 'silent') ?? 'silent');
const TTL = 900;
const COMMUNITIES = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];

interface Member {
  leases: LeaseManager;
  events: string[];
  epochs: Map<string, number[]>;
}

describe('community leases on PostgreSQL', () => {
  let pg: PostgresService;
  let sql: Sql;
  const members: LeaseManager[] = [];
  let n = 0;

  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterEach(async () => {
    await Promise.all(members.splice(0).map((m) => m.stop({ release: false })));
    await sql?.end();
  });
  afterAll(async () => {
    await pg?.stop();
  });

  async function freshDb(): Promise<void> {
    sql = await openPg(await pg.database(`leases_${++n}`), log);
  }

  async function member(hubId: string, communities = COMMUNITIES): Promise<Member> {
    const events: string[] = [];
    const epochs = new Map<string, number[]>();
    const leases = new LeaseManager({
      sql,
      hubId,
      communities,
      ttlMs: TTL,
      log,
      onAcquired: (c, e) => {
        events.push(`+${c}`);
        epochs.set(c, [...(epochs.get(c) ?? []), e]);
      },
      onLost: (c) => void events.push(`-${c}`),
    });
    members.push(leases);
    await leases.start();
    return { leases, events, epochs };
  }

  const holders = async () => Object.fromEntries((await sql<{ community_id: string; holder: string | null }[]>`SELECT community_id, holder FROM community_leases WHERE expires_at > now()`).map((r) => [r.community_id, r.holder]));

  it('shares the communities fairly, rebalances when a hub joins, and every community has exactly one holder', async () => {
    await freshDb();
    const a = await member('hub-a');
    expect(a.leases.holdings().size).toBe(6);
    const b = await member('hub-b');
    const c = await member('hub-c');
    await waitFor(() => a.leases.holdings().size === 2 && b.leases.holdings().size === 2 && c.leases.holdings().size === 2, { timeoutMs: 10_000, what: 'a fair share of 2 each' });
    const held = [a, b, c].flatMap((m) => [...m.leases.holdings().keys()]).sort();
    expect(held).toEqual(COMMUNITIES);
    const rows = await holders();
    for (const m of [a, b, c]) for (const community of m.leases.holdings().keys()) expect(rows[community]).toBe(m.leases.hubId);
    // a gave up what it released before b or c took it.
    expect(a.events.filter((e) => e.startsWith('-'))).toHaveLength(4);
  });

  it('a hub that stops renewing loses its communities to the others within the ttl, each at a higher epoch', async () => {
    await freshDb();
    const a = await member('hub-a');
    const b = await member('hub-b');
    const c = await member('hub-c');
    await waitFor(() => [a, b, c].every((m) => m.leases.holdings().size === 2), { timeoutMs: 10_000, what: 'a fair share' });
    const lost = new Map(c.leases.holdings());
    const stoppedAt = Date.now();
    // A crash: no release, no more renewing.
    await c.leases.stop({ release: false });
    members.splice(members.indexOf(c.leases), 1);
    await waitFor(() => a.leases.holdings().size + b.leases.holdings().size === 6, { timeoutMs: 10_000, what: 'the takeover' });
    expect(Date.now() - stoppedAt).toBeLessThan(TTL * 2 + 500);
    for (const [community, epoch] of lost) {
      const now = a.leases.epoch(community) ?? b.leases.epoch(community);
      expect(now).toBeGreaterThan(epoch);
    }
    const rows = await holders();
    expect(Object.values(rows).filter((h) => h === 'hub-c')).toHaveLength(0);
  });

  it("epochs strictly increase across holders, and a crashed hub's lease is claimed only once it expired in the database", async () => {
    await freshDb();
    const a = await member('hub-a', ['solo']);
    const first = a.leases.epoch('solo')!;
    expect(first).toBeGreaterThan(0);
    // A paused hub: its renew timer does not run. Simulate by stopping without release.
    await a.leases.stop({ release: false });
    members.splice(0);
    const [lease] = await sql<{ expires_at: Date }[]>`SELECT expires_at FROM community_leases WHERE community_id = 'solo'`;
    const b = await member('hub-b', ['solo']);
    // b had to wait for the database expiry.
    await waitFor(() => b.leases.epoch('solo') !== undefined, { timeoutMs: 5000, what: 'b to claim' });
    const [db] = await sql<{ now: Date }[]>`SELECT now()`;
    expect(db!.now.getTime()).toBeGreaterThanOrEqual(lease!.expires_at.getTime());
    expect(b.leases.epoch('solo')).toBe(first + 1);
    const c = await member('hub-a', ['solo']);
    expect(c.leases.epoch('solo')).toBeUndefined();
    await b.leases.stop();
    members.splice(members.indexOf(b.leases), 1);
    await waitFor(() => c.leases.epoch('solo') !== undefined, { timeoutMs: 5000, what: 'hub-a back' });
    expect(c.leases.epoch('solo')).toBe(first + 2);
  });

  it('a hub whose renewals stall stops acting for the community before its lease expires in the database', async () => {
    await freshDb();
    const a = await member('hub-a', ['stall']);
    expect(a.leases.epoch('stall')).toBeDefined();
    const blocker = sql.begin(async (tx) => {
      // Renewals queue behind this lock, as behind a stalled database or a cut network.
      await tx`LOCK TABLE community_leases IN EXCLUSIVE MODE`;
      const [row] = await tx<{ expires_at: Date; now: Date }[]>`SELECT expires_at, clock_timestamp() AS now FROM community_leases WHERE community_id = 'stall'`;
      await waitFor(() => a.events.includes('-stall'), { timeoutMs: 5000, intervalMs: 10, what: 'the local lapse' });
      expect(a.leases.epoch('stall')).toBeUndefined();
      const [db] = await tx<{ now: Date }[]>`SELECT clock_timestamp() AS now`;
      return { expiresAt: row!.expires_at.getTime(), lapsedAt: db!.now.getTime() };
    });
    const { expiresAt, lapsedAt } = await blocker;
    expect(lapsedAt).toBeLessThan(expiresAt);
    // Once renewals get through again, the hub claims it anew, at a higher epoch.
    await waitFor(() => (a.leases.epoch('stall') ?? 0) > 1, { timeoutMs: 5000, what: 'the claim anew' });
  });

  it('a two-hub race for one free lease has one winner', async () => {
    await freshDb();
    const [a, b] = await Promise.all([member('hub-a', ['one']), member('hub-b', ['one'])]);
    const winners = [a, b].filter((m) => m.leases.epoch('one') !== undefined);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.epochs.get('one')).toEqual([1]);
  });

  it('fenced() lets the holder write and rolls back a write on a lost or superseded lease', async () => {
    await freshDb();
    const a = await member('hub-a', ['f']);
    const epoch = a.leases.epoch('f')!;
    await sql`CREATE TABLE fenced_writes (v text)`;
    await sql.begin(async (tx) => {
      await fenced(tx, 'hub-a', 'f', epoch);
      await tx`INSERT INTO fenced_writes VALUES ('ok')`;
    });
    const stale = sql.begin(async (tx) => {
      await tx`INSERT INTO fenced_writes VALUES ('stale')`;
      await fenced(tx, 'hub-a', 'f', epoch - 1);
    });
    await expect(stale).rejects.toBeInstanceOf(LeaseLost);
    await expect(sql.begin((tx) => fenced(tx, 'hub-b', 'f', epoch))).rejects.toBeInstanceOf(LeaseLost);
    await a.leases.stop();
    members.splice(0);
    await expect(sql.begin((tx) => fenced(tx, 'hub-a', 'f', epoch))).rejects.toBeInstanceOf(LeaseLost);
    expect((await sql`SELECT v FROM fenced_writes`).map((r) => r.v)).toEqual(['ok']);
  });
});
