import type { UserRecord } from '../../auth/roles.ts';
import { SessionsBase, type Session, type StoredSession } from '../../auth/sessions.ts';
import type { Logger } from '../../log.ts';
import type { PgSql } from './connect.ts';
import { pgUserRecord, type PgUserRow } from './users.ts';

/** Hubs tell each other a session ended: {"digest"} for one, {"username"} for all of a user's. */
export const SESSION_END_CHANNEL = 'hub_session_end';

type JoinedRow = { s_username: string; s_created_at: number; s_expires_at: number } & ({ [K in keyof PgUserRow]: PgUserRow[K] } | { [K in keyof PgUserRow]: null });

/**
 * Sessions on PostgreSQL, shared by every hub: a token from hub A works on hub B. A lookup is
 * one indexed read (the session joined to its account). Ending a session notifies the other
 * hubs in the same statement, so their open WebSockets on it close too; after a reconnect a
 * hub rechecks the sessions it holds, since notifications sent meanwhile are lost.
 */
export class PgSessionStore extends SessionsBase {
  private listening: { unlisten(): Promise<void> } | undefined;

  constructor(
    private readonly sql: PgSql,
    ttlMs: number,
    clock: () => number,
    private readonly log: Logger,
  ) {
    super(ttlMs, clock, false);
  }

  async start(): Promise<void> {
    let first = true;
    this.listening = await this.sql.listen(
      SESSION_END_CHANNEL,
      (payload) => this.heard(payload),
      () => {
        if (!first) void this.recheck();
        first = false;
      },
    );
  }

  async stop(): Promise<void> {
    await this.listening?.unlisten().catch(() => {});
    this.listening = undefined;
  }

  protected async insert(s: Session): Promise<void> {
    await this.sql`INSERT INTO sessions (digest, username, created_at, expires_at) VALUES (${s.digest}, ${s.username}, ${s.createdAt}, ${s.expiresAt})`;
  }

  protected async read(digest: string): Promise<StoredSession | undefined> {
    const [row] = await this.sql<JoinedRow[]>`
      SELECT s.username AS s_username, s.created_at AS s_created_at, s.expires_at AS s_expires_at, u.*
      FROM sessions s LEFT JOIN users u ON lower(u.username) = lower(s.username)
      WHERE s.digest = ${digest}`;
    if (!row) return undefined;
    return { username: row.s_username, createdAt: row.s_created_at, expiresAt: row.s_expires_at, user: row.username === null ? undefined : pgUserRecord(row) };
  }

  protected async readUser(username: string): Promise<UserRecord | undefined> {
    const [row] = await this.sql<PgUserRow[]>`SELECT * FROM users WHERE lower(username) = lower(${username})`;
    return row && pgUserRecord(row);
  }

  protected async writeExpiry(digest: string, expiresAt: number): Promise<void> {
    await this.sql`UPDATE sessions SET expires_at = ${expiresAt} WHERE digest = ${digest}`;
  }

  protected async delete(digest: string): Promise<void> {
    await this.sql`
      WITH gone AS (DELETE FROM sessions WHERE digest = ${digest} RETURNING digest)
      SELECT pg_notify(${SESSION_END_CHANNEL}, json_build_object('digest', digest)::text) FROM gone`;
  }

  protected async deleteUser(username: string): Promise<void> {
    await this.sql`
      WITH gone AS (DELETE FROM sessions WHERE lower(username) = lower(${username}) RETURNING 1)
      SELECT pg_notify(${SESSION_END_CHANNEL}, json_build_object('username', ${username}::text)::text) WHERE EXISTS (SELECT 1 FROM gone)`;
  }

  protected async deleteExpired(now: number): Promise<void> {
    await this.sql`DELETE FROM sessions WHERE expires_at <= ${now}`;
  }

  private heard(payload: string): void {
    let m: { digest?: unknown; username?: unknown };
    try {
      m = JSON.parse(payload) as typeof m;
    } catch {
      this.log.warn({ channel: SESSION_END_CHANNEL }, 'ignored a notification that is not JSON');
      return;
    }
    if (typeof m.digest === 'string') {
      const digest = m.digest;
      this.ended((s) => s.digest === digest);
      this.revoked.emit({ digest });
    } else if (typeof m.username === 'string') {
      const name = m.username.toLowerCase();
      this.ended((s) => s.username.toLowerCase() === name);
      this.revoked.emit({ username: m.username });
    }
  }

  /** After a reconnect: the sessions held here whose rows are gone ended while we did not hear. */
  private async recheck(): Promise<void> {
    const held = [...this.live.keys()];
    if (held.length === 0) return;
    try {
      const rows = await this.sql<{ digest: string }[]>`SELECT digest FROM sessions WHERE digest = ANY(${held})`;
      const still = new Set(rows.map((r) => r.digest));
      const checked = new Set(held);
      this.ended((s) => checked.has(s.digest) && !still.has(s.digest));
    } catch (err) {
      this.log.warn({ err }, 'rechecking sessions after a PostgreSQL reconnect failed');
    }
  }
}
