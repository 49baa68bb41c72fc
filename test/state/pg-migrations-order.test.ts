import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres, { type Sql } from 'postgres';
import { migratePg, PG_MIGRATIONS } from '../../server/src/state/pg/migrations.ts';
import { startPostgres, type PostgresService } from '../helpers/services.ts';

/** The cluster's versions (2–19) and the shared ones (20 up) are appended side by side. */
describe('PostgreSQL migrations appended in two ranges', () => {
  let pg: PostgresService;
  let sql: Sql;
  beforeAll(async () => {
    pg = await startPostgres();
    sql = postgres(await pg.database('pg_migration_order'), { max: 1, onnotice: () => {} });
  }, 60_000);
  afterAll(async () => {
    await sql?.end();
    await pg?.stop();
  });

  it('applies a cluster version added after the shared ones a database already has, once', async () => {
    const newestCluster = Math.max(...PG_MIGRATIONS.filter((m) => m.version < 20).map((m) => m.version));
    // A database from before the newest cluster migration existed, but with every shared one.
    await migratePg(sql, PG_MIGRATIONS.filter((m) => m.version !== newestCluster));
    await migratePg(sql);
    const rows = await sql<{ version: number }[]>`SELECT version FROM schema_migrations ORDER BY version`;
    expect(rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
    await migratePg(sql);
    expect((await sql`SELECT version FROM schema_migrations`).length).toBe(PG_MIGRATIONS.length);
  });

  it('refuses a database with a version this hub does not know, even below its newest', async () => {
    await sql`INSERT INTO schema_migrations (version, description) VALUES (19, 'a newer hub''s cluster migration')`;
    await expect(migratePg(sql)).rejects.toThrow(/schema version 19, newer than this hub knows/);
    await sql`DELETE FROM schema_migrations WHERE version = 19`;
  });
});
