import type { Sql, TransactionSql } from 'postgres';
import { CLUSTER_PG_MIGRATIONS } from '../../cluster/migrations.ts';
import { SHARED_PG_MIGRATIONS } from './shared-migrations.ts';

/**
 * The shared state's schema on PostgreSQL, one ordered list like the SQLite one
 * (server/src/state/migrations.ts): migration N takes a database at version N - 1 to N, inside
 * one transaction. Never edit a released migration: append one.
 */
export interface PgMigration {
  readonly version: number;
  readonly description: string;
  readonly up: (tx: TransactionSql) => Promise<unknown>;
}

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'schema bookkeeping',
    up: (tx) => tx`CREATE TABLE IF NOT EXISTS hub_meta (key text PRIMARY KEY, value text NOT NULL)`,
  },
  ...CLUSTER_PG_MIGRATIONS,
  ...SHARED_PG_MIGRATIONS,
];

export class NewerPgSchemaError extends Error {
  constructor(readonly found: number, readonly known: number) {
    super(`the PostgreSQL state is at schema version ${found}, newer than this hub knows (${known}): run the newer hub, or restore a backup`);
  }
}

/** Any id that is the same on every hub: the migration lock (hubs may start together). */
const MIGRATION_LOCK = 0x68756201;

/** Brings the database to the newest version; several hubs may call it at once. */
export async function migratePg(sql: Sql, migrations: readonly PgMigration[] = PG_MIGRATIONS): Promise<number> {
  const known = migrations.at(-1)?.version ?? 0;
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;
    const [row] = await tx<{ v: number | null }[]>`SELECT max(version) AS v FROM schema_migrations`;
    const current = row?.v ?? 0;
    if (current > known) throw new NewerPgSchemaError(current, known);
    for (const m of migrations) {
      if (m.version <= current) continue;
      await m.up(tx);
      await tx`INSERT INTO schema_migrations (version, description) VALUES (${m.version}, ${m.description})`;
    }
    return known;
  });
}
