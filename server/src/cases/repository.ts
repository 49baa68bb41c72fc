import type Database from 'better-sqlite3';
import type { Case, CaseStage } from './model.ts';

export interface CaseFilter {
  stage?: CaseStage;
  communityId?: string;
  gridCellId?: string;
  category?: string;
  assignee?: string;
  overdue?: boolean;
  /** created at or after, ms */
  from?: number;
  /** created before, ms */
  to?: number;
  limit?: number;
}

export interface StoredPhoto {
  id: string;
  caseId: string;
  type: string;
  data: Buffer;
}

/** Cases in SQLite: one row each, the whole case as JSON plus the columns filters need. */
export class CaseRepository {
  private readonly upsert: Database.Statement;
  private readonly bumpSeq: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.upsert = db.prepare(`INSERT OR REPLACE INTO cases
      (id, code, community_id, cell_id, category, stage, source, alert_id, assignee, overdue, created_at, updated_at, data)
      VALUES (@id, @code, @communityId, @gridCellId, @category, @stage, @source, @alertId, @assignee, @overdue, @createdAt, @updatedAt, @data)`);
    this.bumpSeq = db.prepare(`INSERT INTO case_sequences (community_code, day, seq) VALUES (?, ?, 1)
      ON CONFLICT (community_code, day) DO UPDATE SET seq = seq + 1 RETURNING seq`);
  }

  save(c: Case): void {
    this.upsert.run({ ...c, overdue: c.overdue ? 1 : 0, data: JSON.stringify(c) });
  }

  /** The next sequence number of a community's day (1, 2, …), counted in the database so restarts keep counting. */
  nextSequence(communityCode: string, day: string): number {
    return (this.bumpSeq.get(communityCode, day) as { seq: number }).seq;
  }

  get(id: string): Case | undefined {
    const row = this.db.prepare('SELECT data FROM cases WHERE id = ?').get(id) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as Case) : undefined;
  }

  byAlert(alertId: string): Case | undefined {
    const row = this.db.prepare('SELECT data FROM cases WHERE alert_id = ?').get(alertId) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as Case) : undefined;
  }

  /** Newest first. */
  list(f: CaseFilter): Case[] {
    const where: string[] = [];
    const args: Record<string, unknown> = { limit: f.limit ?? 1000 };
    const eq = (column: string, key: keyof CaseFilter) => {
      if (f[key] === undefined) return;
      where.push(`${column} = @${key}`);
      args[key] = f[key];
    };
    eq('stage', 'stage');
    eq('community_id', 'communityId');
    eq('cell_id', 'gridCellId');
    eq('category', 'category');
    eq('assignee', 'assignee');
    if (f.overdue !== undefined) (where.push('overdue = @overdue'), (args.overdue = f.overdue ? 1 : 0));
    if (f.from !== undefined) (where.push('created_at >= @from'), (args.from = f.from));
    if (f.to !== undefined) (where.push('created_at < @to'), (args.to = f.to));
    const sql = `SELECT data FROM cases ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT @limit`;
    return (this.db.prepare(sql).all(args) as { data: string }[]).map((r) => JSON.parse(r.data) as Case);
  }

  /** Cases not yet closed: what the deadline monitor watches. */
  unfinished(): Case[] {
    return (this.db.prepare(`SELECT data FROM cases WHERE stage NOT IN ('closed', 'revisited')`).all() as { data: string }[]).map((r) => JSON.parse(r.data) as Case);
  }

  savePhoto(p: StoredPhoto, at: number): void {
    this.db.prepare('INSERT INTO case_photos (id, case_id, type, bytes, data, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(p.id, p.caseId, p.type, p.data.length, p.data, at);
  }

  photo(caseId: string, id: string): StoredPhoto | undefined {
    const row = this.db.prepare('SELECT id, case_id, type, data FROM case_photos WHERE id = ? AND case_id = ?').get(id, caseId) as { id: string; case_id: string; type: string; data: Buffer } | undefined;
    return row ? { id: row.id, caseId: row.case_id, type: row.type, data: row.data } : undefined;
  }

  /** Saves several changes as one transaction (a case with its photos). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
