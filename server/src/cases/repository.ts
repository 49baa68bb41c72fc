import type Database from 'better-sqlite3';
import { factsOf, type CaseFacts } from './figures.ts';
import { caseWhere, type CaseFilter } from './filter.ts';
import { CaseFiguresQuery } from './figures-sql.ts';
import type { Case, CaseStage } from './model.ts';

export type { CaseFilter } from './filter.ts';

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
  /** The assessment figures, computed in SQL over these rows. */
  readonly figures: CaseFiguresQuery;

  /** case writes on this connection, so the figures know when their answers are stale */
  private written = 0;

  constructor(private readonly db: Database.Database) {
    this.figures = new CaseFiguresQuery(db, () => this.written);
    this.upsert = db.prepare(`INSERT OR REPLACE INTO cases
      (id, code, community_id, cell_id, category, stage, source, alert_id, assignee, overdue, created_at, updated_at, data,
       accepted_at, first_dispatch_at, disposed_at, disposed_due, closed_at, closed_due, rework_count, extension_count, satisfied)
      VALUES (@id, @code, @communityId, @gridCellId, @category, @stage, @source, @alertId, @assignee, @overdue, @createdAt, @updatedAt, @data,
       @acceptedAt, @firstDispatchAt, @disposedAt, @disposedDue, @closedAt, @closedDue, @reworkCount, @extensionCount, @satisfied)`);
    this.bumpSeq = db.prepare(`INSERT INTO case_sequences (community_code, day, seq) VALUES (?, ?, 1)
      ON CONFLICT (community_code, day) DO UPDATE SET seq = seq + 1 RETURNING seq`);
  }

  save(c: Case): void {
    const f = factsOf(c);
    this.written++;
    this.upsert.run({ ...c, ...f, overdue: c.overdue ? 1 : 0, satisfied: f.satisfied === null ? null : f.satisfied ? 1 : 0, data: JSON.stringify(c) });
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
    const { sql, args } = this.query('data', f);
    return (this.db.prepare(sql).all(args) as { data: string }[]).map((r) => JSON.parse(r.data) as Case);
  }

  /** What the figures read of the cases matching the filter, from the columns (no JSON, no order). */
  facts(f: CaseFilter): CaseFacts[] {
    const { sql, args } = this.query(
      `community_id, cell_id, category, assignee, created_at, stage, overdue, accepted_at, first_dispatch_at, disposed_at, disposed_due,
       closed_at, closed_due, rework_count, extension_count, satisfied`,
      f,
      false,
    );
    // Arrays, not objects: over 100,000 rows the per-row object building is most of the time.
    const rows = this.db.prepare(sql).raw().all(args) as unknown[][];
    return rows.map((r) => ({
      communityId: r[0] as string,
      gridCellId: r[1] as string | null,
      category: r[2] as string,
      assignee: r[3] as string | null,
      createdAt: r[4] as number,
      stage: r[5] as CaseStage,
      overdue: r[6] === 1,
      acceptedAt: r[7] as number | null,
      firstDispatchAt: r[8] as number | null,
      disposedAt: r[9] as number | null,
      disposedDue: r[10] as number | null,
      closedAt: r[11] as number | null,
      closedDue: r[12] as number | null,
      reworkCount: r[13] as number,
      extensionCount: r[14] as number,
      satisfied: r[15] === null ? null : r[15] === 1,
    }));
  }

  private query(columns: string, f: CaseFilter, ordered = true): { sql: string; args: Record<string, unknown> } {
    const { clause, args } = caseWhere(f);
    args.limit = f.limit ?? 1000;
    return { sql: `SELECT ${columns} FROM cases ${clause.length ? `WHERE ${clause.join(' AND ')}` : ''} ${ordered ? 'ORDER BY created_at DESC, id' : ''} LIMIT @limit`, args };
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

  /**
   * Deletes the photos stored before `before` of finished cases (closed, revisited), and drops them
   * from each case's photo list; returns how many went.
   */
  sweepPhotos(before: number): number {
    return this.transaction(() => {
      const rows = this.db
        .prepare(`SELECT p.id, p.case_id FROM case_photos p JOIN cases c ON c.id = p.case_id WHERE p.created_at < ? AND c.stage IN ('closed', 'revisited')`)
        .all(before) as { id: string; case_id: string }[];
      const byCase = new Map<string, Set<string>>();
      for (const r of rows) byCase.set(r.case_id, (byCase.get(r.case_id) ?? new Set()).add(r.id));
      const remove = this.db.prepare('DELETE FROM case_photos WHERE id = ?');
      for (const [caseId, ids] of byCase) {
        for (const id of ids) remove.run(id);
        const c = this.get(caseId);
        if (c) this.save({ ...c, photos: c.photos.filter((p) => !ids.has(p.id)) });
      }
      return rows.length;
    });
  }

  /** Saves several changes as one transaction (a case with its photos). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
