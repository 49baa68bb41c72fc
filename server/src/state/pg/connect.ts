import postgres, { type Sql } from 'postgres';
import type { Logger } from '../../log.ts';
import { StartupError } from '../../startup-error.ts';
import { migratePg, NewerPgSchemaError } from './migrations.ts';

export type PgSql = Sql;

export interface PgOptions {
  /** Connections in this hub's pool. */
  max?: number;
  /** This hub's id, in the sessions' application_name: a hub whose leases lapsed can be cut off by the others. */
  hubId?: string;
}

/**
 * The shared state on PostgreSQL (STATE_URL=postgres://…): one pool per hub through the
 * `postgres` client, which reconnects by itself after the server restarts; brought to the
 * current schema before anything else uses it.
 */
export async function openPg(url: string, log: Logger, o: PgOptions = {}): Promise<PgSql> {
  const sql = postgres(url, {
    max: o.max ?? 10,
    idle_timeout: 60,
    connect_timeout: 10,
    // The driver's default backoff grows with every failed connect of the whole pool, to 20 s:
    // after a PostgreSQL restart, queries waited that long on a connection still backing off
    // while others were open. Back at most a second after the server is.
    backoff: reconnectBackoffS,
    // Plain numbers for bigint columns: epochs and millisecond times fit in 2^53.
    types: { bigint: { to: 20, from: [20], serialize: (n: number) => String(n), parse: (s: string) => Number(s) } },
    transform: { undefined: null },
    onnotice: () => {},
    // A safety net under the per-transaction stall guard of the lease code: a transaction left
    // open by a frozen or cut-off hub must not keep its row locks from the others.
    connection: { application_name: o.hubId ? `${HUB_APPLICATION}/${o.hubId}` : HUB_APPLICATION, idle_in_transaction_session_timeout: 5000 },
  });
  try {
    const version = await migratePg(sql);
    log.info({ state: redact(url), schemaVersion: version }, 'shared state on PostgreSQL');
    return sql;
  } catch (err) {
    await sql.end({ timeout: 1 }).catch(() => {});
    if (err instanceof NewerPgSchemaError) throw new StartupError(redact(url), err.message);
    throw new StartupError(redact(url), `cannot open the PostgreSQL state: ${(err as Error).message}`);
  }
}

/** Seconds before a reconnect: 50 ms doubling per failed attempt in a row, at most 1 s. */
export const reconnectBackoffS = (attempts: number) => Math.min(0.05 * 2 ** attempts, 1);

/** The URL without its password, for logs and errors. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

export const HUB_APPLICATION = 'community-safety-hub';
