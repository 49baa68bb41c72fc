import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPg, redact } from '../../server/src/state/pg/connect.ts';
import { PG_MIGRATIONS } from '../../server/src/state/pg/migrations.ts';
import { StartupError } from '../../server/src/startup-error.ts';
import { createLogger } from '../../server/src/log.ts';
import { startPostgres, type PostgresService } from '../helpers/services.ts';

const log = createLogger('silent');

describe('PostgreSQL state schema', () => {
  let pg: PostgresService;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await pg?.stop();
  });

  it('three hubs opening a new database at once migrate it once, to the newest version', async () => {
    const url = await pg.database('migrate_race');
    const pools = await Promise.all([openPg(url, log), openPg(url, log), openPg(url, log)]);
    const rows = await pools[0]!`SELECT version FROM schema_migrations ORDER BY version`;
    expect(rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((m) => m.version));
    await Promise.all(pools.map((p) => p.end()));
  });

  it('refuses a database written by a newer hub with a one-line reason, and never prints the password', async () => {
    const url = await pg.database('migrate_newer');
    const sql = await openPg(url, log);
    await sql`INSERT INTO schema_migrations (version, description) VALUES (9999, 'from the future')`;
    await sql.end();
    const withPassword = url.replace('hub@', 'hub:secret@');
    const err = await openPg(withPassword, log).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toMatch(/schema version 9999, newer than this hub knows/);
    expect((err as Error).message).not.toContain('secret');
    expect(redact(withPassword)).toContain('***');
  });
});
