import type { WireAuditEntry } from '#devices/wire.ts';
import type Database from 'better-sqlite3';

export type AuditEntry = WireAuditEntry;

export interface AuditQuery {
  limit?: number;
  beforeId?: number;
  action?: string;
  actor?: string;
}

export interface AuditRecord {
  actor: string;
  action: string;
  target?: string | null;
  ip?: string | null;
  ok?: boolean;
  detail?: Record<string, unknown>;
}

/**
 * Append-only record of who did what (logins and failures, alert actions, configuration
 * changes) on any state store (SQLite: AuditLog below; PostgreSQL: state/pg/audit.ts).
 * `record` never rejects: the action it records has already happened, so a store that fails
 * logs the entry instead.
 */
export interface AuditStore {
  record(e: AuditRecord): Promise<void>;
  /** Newest first. */
  list(q?: AuditQuery): Promise<AuditEntry[]>;
}

/** Actor and target as stored: bounded, whatever the caller passes. */
export function auditRow(e: AuditRecord, at: number) {
  return { at, actor: e.actor.slice(0, 100), action: e.action, target: e.target?.slice(0, 200) ?? null, ip: e.ip ?? null, ok: e.ok !== false, detail: e.detail ?? null };
}

/** The audit log in SQLite. */
export class AuditLog implements AuditStore {
  private readonly insert;

  constructor(
    private readonly db: Database.Database,
    private readonly clock: () => number = Date.now,
  ) {
    this.insert = db.prepare('INSERT INTO audit_log (at, actor, action, target, ip, ok, detail) VALUES (?, ?, ?, ?, ?, ?, ?)');
  }

  /** Written before it returns (a failing SQLite write throws, as it always did). */
  record(e: AuditRecord): Promise<void> {
    const r = auditRow(e, this.clock());
    this.insert.run(r.at, r.actor, r.action, r.target, r.ip, r.ok ? 1 : 0, r.detail ? JSON.stringify(r.detail) : null);
    return Promise.resolve();
  }

  /** Newest first. */
  async list(q: AuditQuery = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.beforeId !== undefined) (where.push('id < ?'), args.push(q.beforeId));
    if (q.action) (where.push('action = ?'), args.push(q.action));
    if (q.actor) (where.push('actor = ?'), args.push(q.actor));
    const rows = this.db
      .prepare(`SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`)
      .all(...args, q.limit ?? 200) as { id: number; at: number; actor: string; action: string; target: string | null; ip: string | null; ok: number; detail: string | null }[];
    return rows.map((r) => ({ ...r, ok: r.ok === 1, detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null }));
  }
}
