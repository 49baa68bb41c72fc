import type { WireAuditEntry } from '#devices/wire.ts';
import type Database from 'better-sqlite3';

export type AuditEntry = WireAuditEntry;

export interface AuditQuery {
  limit?: number;
  beforeId?: number;
  action?: string;
  actor?: string;
}

/** Append-only record of who did what: logins (and failures), alert actions, configuration changes. */
export class AuditLog {
  private readonly insert;

  constructor(
    private readonly db: Database.Database,
    private readonly clock: () => number = Date.now,
  ) {
    this.insert = db.prepare('INSERT INTO audit_log (at, actor, action, target, ip, ok, detail) VALUES (?, ?, ?, ?, ?, ?, ?)');
  }

  record(e: { actor: string; action: string; target?: string | null; ip?: string | null; ok?: boolean; detail?: Record<string, unknown> }): void {
    this.insert.run(this.clock(), e.actor.slice(0, 100), e.action, e.target?.slice(0, 200) ?? null, e.ip ?? null, e.ok === false ? 0 : 1, e.detail ? JSON.stringify(e.detail) : null);
  }

  /** Newest first. */
  list(q: AuditQuery = {}): AuditEntry[] {
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
