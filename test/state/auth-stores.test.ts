// The auth state's one contract (test/state/contract/auth-stores.ts), run on SQLite and on a real PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteAuthStores, type AuthStores } from '../../server/src/auth/service.ts';
import { createLogger } from '../../server/src/log.ts';
import { pgAuthStores } from '../../server/src/state/pg/auth-stores.ts';
import { openPg, type PgSql } from '../../server/src/state/pg/connect.ts';
import { startPostgres, type PostgresService } from '../helpers/services.ts';
import { memoryStateDb } from '../helpers/state-db.ts';
import { waitFor } from '../helpers/ports.ts';
import { UserDirectory } from '../../server/src/auth/user-directory.ts';
import { describeAuthStores, TTL } from './contract/auth-stores.ts';

const log = createLogger('silent');

describeAuthStores('SQLite', async (clock) => {
  const db = memoryStateDb();
  return {
    stores: sqliteAuthStores(db, TTL, clock),
    other: async () => sqliteAuthStores(db, TTL, clock),
    close: async () => void db.close(),
  };
});

let pg: PostgresService;
let n = 0;
beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);
afterAll(async () => {
  await pg?.stop();
});

async function pgStores(sql: PgSql, clock: () => number): Promise<AuthStores> {
  const stores = pgAuthStores(sql, TTL, log, clock);
  await stores.sessions.start?.();
  return stores;
}

describeAuthStores('PostgreSQL', async (clock) => {
  const sql = await openPg(await pg.database(`auth_contract_${++n}`), log, { max: 4 });
  const all: AuthStores[] = [];
  const make = async () => {
    const s = await pgStores(sql, clock);
    all.push(s);
    return s;
  };
  return {
    stores: await make(),
    other: make,
    close: async () => {
      for (const s of all) await s.sessions.stop?.();
      await sql.end({ timeout: 1 });
    },
  };
});

describe('auth state on PostgreSQL, across hubs', () => {
  it('a session ended on one hub is ended at once on another that holds it (its WebSockets close)', async () => {
    const url = await pg.database('auth_across');
    const a = await openPg(url, log, { max: 2 });
    const b = await openPg(url, log, { max: 2 });
    const onA = await pgStores(a, Date.now);
    const onB = await pgStores(b, Date.now);
    const one = await onA.sessions.create('op');
    const two = await onA.sessions.create('op');
    const heldOnB = (await onB.sessions.lookup(one.token))!.session;
    const secondOnB = (await onB.sessions.lookup(two.token))!.session;
    await onA.sessions.revoke(one.session);
    await waitFor(() => !onB.sessions.alive(heldOnB), { timeoutMs: 5000, what: 'hub B to hear the session end' });
    expect(onB.sessions.alive(secondOnB)).toBe(true);
    await onA.sessions.revokeUser('OP');
    await waitFor(() => !onB.sessions.alive(secondOnB), { timeoutMs: 5000, what: "hub B to hear the user's sessions end" });
    for (const s of [onA, onB]) await s.sessions.stop?.();
    await Promise.all([a.end(), b.end()]);
  });

  it("delivery's synchronous account list follows accounts created on another hub within its refresh age", async () => {
    const url = await pg.database('auth_directory');
    const a = await openPg(url, log, { max: 2 });
    const b = await openPg(url, log, { max: 2 });
    let now = 1_000_000;
    const directory = new UserDirectory(pgAuthStores(b, TTL, log).users, log, 1000, () => now);
    await directory.start();
    expect(directory.list()).toEqual([]);
    await pgAuthStores(a, TTL, log).users.create({ username: 'w1', password: 'correct horse battery', role: 'worker', workerId: 'wk-1' });
    expect(directory.list()).toEqual([]);
    now += 1001;
    directory.list();
    await waitFor(() => directory.list().map((u) => u.workerId).includes('wk-1'), { timeoutMs: 5000, what: 'the refreshed list' });
    await Promise.all([a.end(), b.end()]);
  });
});
