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
    // By the set applied, not the highest: the cluster's versions (2–19) and the shared ones
    // (20 up) grow side by side, so a database at 22 may still lack a newer cluster 6.
    const applied = new Set((await tx<{ version: number }[]>`SELECT version FROM schema_migrations`).map((r) => r.version));
    const unknown = [...applied].filter((v) => !migrations.some((m) => m.version === v));
    if (unknown.length > 0) throw new NewerPgSchemaError(Math.max(...unknown), known);
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await m.up(tx);
      await tx`INSERT INTO schema_migrations (version, description) VALUES (${m.version}, ${m.description})`;
    }
    return known;
  });
}
