import type { AuthStores } from '../../auth/service.ts';
import { UserDirectory } from '../../auth/user-directory.ts';
import type { Logger } from '../../log.ts';
import { PgAuditStore } from './audit.ts';
import type { PgSql } from './connect.ts';
import { PgDisplayStore } from './displays.ts';
import { PgSessionStore } from './sessions.ts';
import { PgUserStore } from './users.ts';

/** The auth state on the shared PostgreSQL (STATE_URL): every hub sees the same accounts and sessions. */
export function pgAuthStores(sql: PgSql, sessionTtlMs: number, log: Logger, clock: () => number = Date.now): AuthStores {
  const users = new PgUserStore(sql);
  return {
    users,
    sessions: new PgSessionStore(sql, sessionTtlMs, clock, log),
    audit: new PgAuditStore(sql, log, clock),
    displays: new PgDisplayStore(sql, clock),
    userList: new UserDirectory(users, log),
  };
}
