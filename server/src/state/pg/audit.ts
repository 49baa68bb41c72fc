import { auditRow, type AuditEntry, type AuditQuery, type AuditRecord, type AuditStore } from '../../auth/audit.ts';
import type { Logger } from '../../log.ts';
import type { PgSql } from './connect.ts';

/** The audit log on PostgreSQL, one log for every hub. */
export class PgAuditStore implements AuditStore {
  constructor(
    private readonly sql: PgSql,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  async record(e: AuditRecord): Promise<void> {
    const r = auditRow(e, this.clock());
    try {
      await this.sql`INSERT INTO audit_log (at, actor, action, target, ip, ok, detail)
        VALUES (${r.at}, ${r.actor}, ${r.action}, ${r.target}, ${r.ip}, ${r.ok}, ${r.detail ? this.sql.json(r.detail as Parameters<PgSql['json']>[0]) : null})`;
    } catch (err) {
      // The action already happened: keep the entry in the log rather than fail the caller.
      this.log.error({ err, audit: r }, 'writing an audit entry to PostgreSQL failed');
    }
  }

  async list(q: AuditQuery = {}): Promise<AuditEntry[]> {
    const sql = this.sql;
    const none = sql``;
    return sql<AuditEntry[]>`
      SELECT id, at, actor, action, target, ip, ok, detail FROM audit_log WHERE true
      ${q.beforeId !== undefined ? sql`AND id < ${q.beforeId}` : none}
      ${q.action ? sql`AND action = ${q.action}` : none}
      ${q.actor ? sql`AND actor = ${q.actor}` : none}
      ORDER BY id DESC LIMIT ${q.limit ?? 200}`;
  }
}
