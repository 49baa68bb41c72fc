import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { factsOf } from '../../server/src/cases/figures.ts';
import { CaseRepository } from '../../server/src/cases/repository.ts';
import type { CaseActor } from '../../server/src/cases/roles.ts';
import { applyAction, createCase, type DeadlinePlanner } from '../../server/src/cases/stages.ts';
import { migrate, MIGRATIONS } from '../../server/src/state/migrations.ts';

const T0 = Date.UTC(2026, 0, 5, 1, 0);
const plan: DeadlinePlanner = (_, from) => from + 3_600_000;
const boss: CaseActor = { username: 'b', ids: new Set(['b']), roles: new Set(['control', 'supervisor', 'worker']) };

function walked() {
  let c = createCase({ title: 't', category: 'hazard', description: '', source: 'patrol', communityId: 'hx', gridCellId: 'g1' }, { id: 'k1', code: 'HX-1' }, 'w', T0, plan);
  let t = T0;
  for (const [a, input] of [['accept', {}], ['register', {}], ['dispatch', { assignee: 'w1' }], ['dispose', { note: 'n' }], ['verify', { passed: false, note: 'x' }], ['dispatch', { assignee: 'w2' }], ['dispose', { note: 'n' }], ['verify', { passed: true }], ['close', {}], ['revisit', { satisfied: false }]] as const) {
    c = applyAction(c, a, input, boss, (t += 60_000), plan);
  }
  return c;
}

describe('case repository', () => {
  it('keeps the figures’ facts as columns, equal to the case’s own', () => {
    const db = new Database(':memory:');
    migrate(db);
    const repo = new CaseRepository(db);
    const c = walked();
    repo.save(c);
    expect(repo.facts({})).toEqual([factsOf(c)]);
    expect(factsOf(c)).toMatchObject({ firstDispatchAt: T0 + 3 * 60_000, disposedAt: T0 + 7 * 60_000, reworkCount: 1, satisfied: false, assignee: 'w2' });
    expect(repo.list({})).toEqual([c]);
  });

  it('migration 4 fills the columns of cases stored before it, from their JSON', () => {
    const db = new Database(':memory:');
    for (const m of MIGRATIONS.filter((m) => m.version <= 3)) m.up(db);
    const c = walked();
    db.prepare(`INSERT INTO cases (id, code, community_id, cell_id, category, stage, source, alert_id, assignee, overdue, created_at, updated_at, data)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(c.id, c.code, c.communityId, c.gridCellId, c.category, c.stage, c.source, null, c.assignee, 0, c.createdAt, c.updatedAt, JSON.stringify(c));
    db.pragma('user_version = 3');
    migrate(db);
    expect(new CaseRepository(db).facts({})).toEqual([factsOf(c)]);
  });
});
