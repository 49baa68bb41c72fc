import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateDb } from '../../server/src/db.ts';
import { caseFigures, factsOf, GROUP_BYS, groupedFigures, percentile, rankOf } from '../../server/src/cases/figures.ts';
import type { FiguresScope } from '../../server/src/cases/figures-sql.ts';
import type { Case, CaseStage } from '../../server/src/cases/model.ts';
import { CaseRepository } from '../../server/src/cases/repository.ts';
import type { CaseActor } from '../../server/src/cases/roles.ts';
import { applyAction, createCase, type DeadlinePlanner } from '../../server/src/cases/stages.ts';
import { tempDataDir } from '../helpers/hub.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 1, 20, 15, 50); // 23:50 China time, so cases fall on both sides of midnights
const offsets: Partial<Record<CaseStage, number>> = { accepted: 30, registered: 60, dispatched: 60, disposed: 600, verified: 240, closed: 1440, revisited: 4320 };
const plan: DeadlinePlanner = (target, from) => (offsets[target] === undefined ? undefined : from + offsets[target]! * MIN);
const boss: CaseActor = { username: 'boss', ids: new Set(['boss']), roles: new Set(['control', 'supervisor', 'worker']) };

/** A seeded generator (LCG): the same cases each run, spread over seven weeks. */
function generate(n: number): Case[] {
  let s = 42;
  const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  const out: Case[] = [];
  for (let i = 0; i < n; i++) {
    const createdAt = T0 + Math.floor(r() * 49 * 1440) * MIN;
    const communityId = ['hx', 'yq', 'xs'][Math.floor(r() * 3)]!;
    const gridCellId = r() < 0.1 ? null : `${communityId}-g${1 + Math.floor(r() * 3)}`;
    let c = createCase({ title: `c${i}`, category: ['hazard', 'dispute', 'fire'][Math.floor(r() * 3)]!, description: '', source: 'patrol', communityId, gridCellId }, { id: `c${i}`, code: `C-${i}` }, 'w', createdAt, plan);
    let m = 0;
    const go = (action: Parameters<typeof applyAction>[1], input: Parameters<typeof applyAction>[2] = {}, max = 90) => {
      m += 1 + Math.floor(r() * max);
      c = applyAction(c, action, { note: 'n', ...input }, boss, createdAt + m * MIN, plan);
    };
    const depth = Math.floor(r() * 9);
    if (depth >= 1) go('accept', {}, 50);
    if (depth >= 2) go('register');
    if (depth >= 3) go('dispatch', { assignee: `w${Math.floor(r() * 4)}` });
    if (depth >= 3 && r() < 0.2) go('extend', { until: createdAt + (m + 900) * MIN, reason: 'r' }, 5);
    if (depth >= 4) {
      go('dispose', {}, 900);
      if (depth >= 5 && r() < 0.3) (go('verify', { passed: false }), go('dispose', {}, 300));
    }
    if (depth >= 5) go('verify', { passed: true }, 120);
    if (depth >= 6) go('close', {}, 1500);
    if (depth >= 7) go('revisit', { satisfied: r() < 0.8 }, 3000);
    if (depth < 3 && r() < 0.5) c = { ...c, overdue: true };
    out.push(c);
  }
  return out;
}

describe('the figures in SQL equal the figures in JavaScript', () => {
  const dir = tempDataDir('figures-sql');
  const db = openStateDb(dir);
  const repo = new CaseRepository(db);
  const cases = generate(3000);
  beforeAll(() => repo.transaction(() => cases.forEach((c) => repo.save(c))));
  afterAll(() => (db.close(), fs.rmSync(dir, { recursive: true, force: true })));
  const all: FiguresScope = { communities: null, cells: null };
  const inJs = (keep: (c: Case) => boolean) => cases.filter(keep).map(factsOf);

  it('over every case, and grouped every way', () => {
    expect(repo.figures.figures({}, all, 480)).toEqual(caseFigures(inJs(() => true)));
    for (const by of GROUP_BYS) expect(repo.figures.grouped({}, all, by, 480), by).toEqual(groupedFigures(inJs(() => true), by, 480));
    // At another offset the day boundaries move.
    expect(repo.figures.grouped({}, all, 'day', 0)).toEqual(groupedFigures(inJs(() => true), 'day', 0));
    expect(repo.figures.grouped({}, all, 'week', -300)).toEqual(groupedFigures(inJs(() => true), 'week', -300));
    // The route's one pass: the overall figures merged from the groups are the ungrouped ones.
    for (const by of GROUP_BYS) expect(repo.figures.withGroups({}, all, by, 480).overall, by).toEqual(caseFigures(inJs(() => true)));
    expect(repo.figures.withGroups({ category: 'hazard' }, { communities: new Set(['hx']), cells: null }, 'cell', 480).overall).toEqual(caseFigures(inJs((c) => c.category === 'hazard' && c.communityId === 'hx')));
  });

  it('with filters and a caller’s scope (communities, then cells: a case with no cell is outside a cell scope)', () => {
    const from = T0 + 10 * 1440 * MIN, to = T0 + 30 * 1440 * MIN;
    const inRange = (c: Case) => c.createdAt >= from && c.createdAt < to;
    expect(repo.figures.figures({ from, to, category: 'hazard' }, all, 480)).toEqual(caseFigures(inJs((c) => inRange(c) && c.category === 'hazard')));
    const communities: FiguresScope = { communities: new Set(['hx', 'xs']), cells: null };
    expect(repo.figures.grouped({ stage: 'closed' }, communities, 'cell', 480)).toEqual(groupedFigures(inJs((c) => c.stage === 'closed' && c.communityId !== 'yq'), 'cell', 480));
    const cells: FiguresScope = { communities: new Set(['hx']), cells: new Set(['hx-g1', 'yq-g1']) };
    expect(repo.figures.grouped({}, cells, 'worker', 480)).toEqual(groupedFigures(inJs((c) => c.communityId === 'hx' && c.gridCellId === 'hx-g1'), 'worker', 480));
    const nobody: FiguresScope = { communities: new Set(), cells: null };
    expect(repo.figures.figures({}, nobody, 480)).toEqual(caseFigures([]));
    expect(repo.figures.grouped({}, nobody, 'day', 480)).toEqual([]);
  });

  it('a kept answer is never stale: a case written here or by another connection recomputes it', () => {
    const before = repo.figures.figures({ communityId: 'hx' }, all, 480);
    const answer = repo.figures.figures({ communityId: 'hx' }, all, 480);
    answer.total = -1; // a caller changing its copy changes nothing kept
    expect(repo.figures.figures({ communityId: 'hx' }, all, 480)).toEqual(before);
    const extra = { ...cases.find((c) => c.communityId === 'hx')!, id: 'extra-1', code: 'C-extra-1' };
    repo.save(extra);
    expect(repo.figures.figures({ communityId: 'hx' }, all, 480).total).toBe(before.total + 1);
    const other = openStateDb(dir);
    other.prepare('DELETE FROM cases WHERE id = ?').run('extra-1');
    other.close();
    expect(repo.figures.figures({ communityId: 'hx' }, all, 480)).toEqual(before);
  });

  it('the nearest rank: ⌈p·n⌉, at least 1', () => {
    expect(rankOf(0.9, 70)).toBe(63);
    expect(percentile(Array.from({ length: 70 }, (_, i) => i + 1), 0.9)).toBe(63);
    expect([rankOf(0.5, 1), rankOf(0.5, 2), rankOf(0.5, 3), rankOf(0.9, 11)]).toEqual([1, 1, 2, 10]);
  });
});
