import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { openPg } from '../../server/src/state/pg/connect.ts';
import { createLogger } from '../../server/src/log.ts';
import { startPostgres, type PostgresService } from '../helpers/services.ts';
import { waitFor } from '../helpers/ports.ts';

/**
 * The hub's PostgreSQL client (server/src/state/pg/driver) under the server going away: many
 * transactions at once, pipelined statements in flight, sessions terminated, then a fast
 * shutdown and a start. The unpatched client threw an uncaught TypeError from `nextWrite` here,
 * let the startup's type query reject unhandled, and kept transactions waiting up to 20 s.
 */
describe('the PostgreSQL client through sessions cut and a server restart', () => {
  let pg: PostgresService;
  let sql: Sql;
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => void uncaught.push(err);
  beforeAll(async () => {
    pg = await startPostgres();
    sql = await openPg(await pg.database('driver'), createLogger('silent'));
    await sql`CREATE TABLE t (id text PRIMARY KEY, v text)`;
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
  });
  afterAll(async () => {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
    await sql?.end({ timeout: 1 });
    await pg?.stop();
  });

  it('fails the transactions in flight, then serves every new one', async () => {
    let stop = false;
    let committed = 0;
    let n = 0;
    const started = new Map<number, number>();
    const loop = async (worker: number) => {
      while (!stop) {
        started.set(worker, Date.now());
        try {
          await sql.begin(async (tx) => {
            await tx`SELECT set_config('idle_in_transaction_session_timeout', '1000ms', true)`;
            // Pipelined, small and large (the client buffers writes under 1 KiB).
            await Promise.all([0, 200, 2000].map((size) => tx`INSERT INTO t VALUES (${`${worker}-${n++}`}, ${'x'.repeat(size)})`));
            for (let i = 0; i < 3; i++) await tx`SELECT pg_notify('driver_test', ${String(i)})`;
          });
          committed++;
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
        started.delete(worker);
      }
    };
    const loops = Array.from({ length: 20 }, (_, i) => loop(i));
    const listener = await sql.listen('driver_test', () => {});
    await waitFor(() => committed > 50, { what: 'transactions under way' });
    for (let i = 0; i < 4; i++) {
      await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'community-safety-hub' AND pid <> pg_backend_pid()`.catch(() => {});
      await new Promise((r) => setTimeout(r, 200));
    }
    await pg.stop('SIGINT');
    await new Promise((r) => setTimeout(r, 2000));
    await pg.start();
    const back = committed;
    await waitFor(() => committed > back + 100, { timeoutMs: 20_000, what: 'transactions committing again' });
    // None waits on a connection still backing off, none hangs on a stale session.
    const now = Date.now();
    expect([...started.values()].filter((t) => now - t > 3000)).toEqual([]);
    stop = true;
    await Promise.all(loops);
    await listener.unlisten();
    expect(uncaught).toEqual([]);
  }, 60_000);
});
