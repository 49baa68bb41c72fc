import { describe, expect, it } from 'vitest';
import { caseFigures as figuresOfFacts, factsOf, groupedFigures as groupedFacts, groupKey as keyOfFacts, percentile } from '../../server/src/cases/figures.ts';
import type { Case, CaseAction, CaseStage } from '../../server/src/cases/model.ts';
import type { CaseActor } from '../../server/src/cases/roles.ts';
import { applyAction, createCase, type ActionInput, type DeadlinePlanner } from '../../server/src/cases/stages.ts';

const MIN = 60_000;
// The figures read flat facts (the repository's columns); the fixtures are whole cases.
const caseFigures = (cases: Case[]) => figuresOfFacts(cases.map(factsOf));
const groupedFigures = (cases: Case[], by: Parameters<typeof groupedFacts>[1], offset: number) => groupedFacts(cases.map(factsOf), by, offset);
const groupKey = (c: Case, by: Parameters<typeof keyOfFacts>[1], offset: number) => keyOfFacts(factsOf(c), by, offset);
const T0 = Date.UTC(2026, 0, 5, 1, 0); // Monday 2026-01-05 09:00 China time
const offsets: Partial<Record<CaseStage, number>> = { accepted: 30, registered: 60, dispatched: 60, disposed: 600, verified: 240, closed: 1440, revisited: 4320 };
const plan: DeadlinePlanner = (target, from) => (offsets[target] === undefined ? undefined : from + offsets[target]! * MIN);
const boss: CaseActor = { username: 'boss', ids: new Set(['boss']), roles: new Set(['control', 'supervisor', 'worker']) };

type Step = [minute: number, action: CaseAction, input?: ActionInput];
function build(id: string, steps: Step[], { communityId = 'hx', createdAt = T0 } = {}): Case {
  let c = createCase({ title: id, category: 'hazard', description: '', source: 'patrol', communityId, gridCellId: null }, { id, code: id }, 'w', createdAt, plan);
  for (const [m, action, input = {}] of steps) c = applyAction(c, action, { note: 'n', ...input }, boss, createdAt + m * MIN, plan);
  return c;
}
const upTo = (assignee: string, [a, r, d]: [number, number, number]): Step[] => [[a, 'accept'], [r, 'register'], [d, 'dispatch', { assignee }]];

/** The six cases worked out by hand in docs/cases.md's example. */
function fixture(): Case[] {
  return [
    // A: quick and clean, resident satisfied.
    build('A', [...upTo('w1', [10, 20, 30]), [100, 'dispose'], [110, 'verify', { passed: true }], [120, 'close'], [200, 'revisit', { satisfied: true }]]),
    // B: one failed check (返工), resident not satisfied.
    build('B', [...upTo('w1', [20, 30, 40]), [200, 'dispose'], [210, 'verify', { passed: false }], [300, 'dispose'], [310, 'verify', { passed: true }], [320, 'close'], [400, 'revisit', { satisfied: false }]]),
    // C: accepted late, disposed late (deadline 60 + 600), closed late (deadline 1440).
    build('C', [...upTo('w2', [40, 50, 60]), [700, 'dispose'], [710, 'verify', { passed: true }], [1500, 'close']]),
    // D: extended by the supervisor to minute 2000, then done within it.
    build('D', [...upTo('w2', [10, 20, 30]), [40, 'extend', { until: T0 + 2000 * MIN, reason: 'r' }], [1000, 'dispose'], [1010, 'verify', { passed: true }], [1100, 'close']]),
    // E: disposed, not yet checked.
    build('E', [...upTo('w1', [10, 20, 30]), [50, 'dispose']]),
    // F: only reported, in another community.
    build('F', [], { communityId: 'yq' }),
  ];
}

describe('case figures', () => {
  it('counts and rates of the hand-worked fixture', () => {
    const f = caseFigures(fixture());
    expect(f).toMatchObject({ total: 6, disposed: 5, closed: 4, closedOnTime: 3, disposedOnTime: 4, reworked: 1, extended: 1, firstTimeDone: 3, revisited: 2, satisfied: 1, overdue: 1 });
    expect(f.rates).toEqual({ closure: 4 / 6, onTimeClosure: 3 / 4, onTimeDisposal: 4 / 5, rework: 1 / 5, extension: 1 / 6, firstTime: 3 / 4, satisfaction: 1 / 2 });
  });

  it('times from the report: nearest-rank p50 and p90, and the mean', () => {
    const { times } = caseFigures(fixture());
    expect(times).toMatchObject({
      acceptP50Ms: 10 * MIN, acceptP90Ms: 40 * MIN, acceptMeanMs: 18 * MIN, acceptCount: 5,
      dispatchP50Ms: 30 * MIN, dispatchP90Ms: 60 * MIN, dispatchMeanMs: 38 * MIN,
      // B's is its second, accepted disposal.
      disposeP50Ms: 300 * MIN, disposeP90Ms: 1000 * MIN, disposeMeanMs: 430 * MIN,
      closeP50Ms: 320 * MIN, closeP90Ms: 1500 * MIN, closeMeanMs: 760 * MIN, closeCount: 4,
    });
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([7], 0.9)).toBe(7);
  });

  it('no cases: counts of zero and rates of null, never NaN', () => {
    const f = caseFigures([]);
    expect(f.total).toBe(0);
    expect(Object.values(f.rates).every((r) => r === null)).toBe(true);
    expect(f.times.acceptP50Ms).toBeNull();
  });

  it('groups by worker, community and period; the groups add up to the whole', () => {
    const cases = fixture();
    const byWorker = groupedFigures(cases, 'worker', 480);
    expect(byWorker.map((g) => [g.key, g.total, g.closed])).toEqual([['-', 1, 0], ['w1', 3, 2], ['w2', 2, 2]]);
    expect(groupedFigures(cases, 'community', 480).map((g) => [g.key, g.total])).toEqual([['hx', 5], ['yq', 1]]);
    for (const by of ['worker', 'community', 'category'] as const) {
      const groups = groupedFigures(cases, by, 480);
      for (const k of ['total', 'closed', 'closedOnTime', 'disposed', 'disposedOnTime', 'reworked', 'extended', 'firstTimeDone', 'revisited', 'satisfied'] as const) {
        expect(groups.reduce((s, g) => s + g[k], 0), `${by} ${k}`).toBe(caseFigures(cases)[k]);
      }
    }
    // 2026-01-04 23:30 China time is a Sunday: its week began Monday 12-29; 00:30 on the 5th starts a new one.
    const sunday = build('S', [], { createdAt: Date.UTC(2026, 0, 4, 15, 30) });
    const monday = build('M', [], { createdAt: Date.UTC(2026, 0, 4, 16, 30) });
    expect([groupKey(sunday, 'day', 480), groupKey(sunday, 'week', 480), groupKey(sunday, 'month', 480)]).toEqual(['2026-01-04', '2025-12-29', '2026-01']);
    expect([groupKey(monday, 'day', 480), groupKey(monday, 'week', 480)]).toEqual(['2026-01-05', '2026-01-05']);
  });
});

/** A small deterministic generator (mulberry32), so the month is the same on every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A month of cases, each walked a random distance with random delays, reworks, extensions and verdicts. */
function month(n: number): Case[] {
  const r = rng(20260105);
  const out: Case[] = [];
  for (let i = 0; i < n; i++) {
    const createdAt = T0 + Math.floor(r() * 30 * 1440) * MIN;
    let m = 0;
    const next = (max: number) => (m += 1 + Math.floor(r() * max));
    const steps: Step[] = [];
    const depth = Math.floor(r() * 9); // 0: reported … 8: revisited
    if (depth >= 1) steps.push([next(60), 'accept']);
    if (depth >= 2) steps.push([next(90), 'register']);
    if (depth >= 3) steps.push([next(90), 'dispatch', { assignee: `w${1 + Math.floor(r() * 3)}` }]);
    if (depth >= 3 && r() < 0.2) steps.push([next(10), 'extend', { until: createdAt + (m + 700 + Math.floor(r() * 2000)) * MIN, reason: 'r' }]);
    if (depth >= 4) {
      steps.push([next(900), 'dispose']);
      for (let k = 0; depth >= 5 && k < 2 && r() < 0.25; k++) steps.push([next(60), 'verify', { passed: false }], [next(300), 'dispose']);
    }
    if (depth >= 5) steps.push([next(120), 'verify', { passed: true }]);
    if (depth >= 6) steps.push([next(900), 'close']);
    if (depth >= 7) steps.push([next(3000), 'revisit', { satisfied: r() < 0.85 }]);
    out.push(build(`c${i}`, steps, { createdAt, communityId: r() < 0.5 ? 'hx' : 'yq' }));
  }
  return out;
}

/** The figures again, read from each case's history alone (not from the fields caseFigures reads). */
function fromHistory(cases: Case[]) {
  const c = { total: 0, disposed: 0, closed: 0, closedOnTime: 0, disposedOnTime: 0, reworked: 0, extended: 0, firstTimeDone: 0, revisited: 0, satisfied: 0 };
  for (const k of cases) {
    const h = k.history;
    const last = (a: string) => h.filter((e) => e.action === a).at(-1);
    c.total++;
    const dispose = last('dispose');
    const close = last('close');
    const failed = h.some((e) => e.action === 'verify' && e.detail?.passed === false);
    // The deadlines as they stood: the planned ones, moved by a granted extension.
    const ext = h.filter((e) => e.action === 'extend' && e.detail?.approved === true).at(-1);
    const dispatchAt = h.find((e) => e.action === 'dispatch')?.at;
    const disposeDue = ext ? (ext.detail!.until as number) : dispatchAt! + 600 * MIN;
    const closeDue = Math.max(k.createdAt + 1440 * MIN, ext ? (ext.detail!.until as number) : 0);
    if (dispose) c.disposed++;
    if (dispose && dispose.at <= disposeDue) c.disposedOnTime++;
    if (close) c.closed++;
    if (close && close.at <= closeDue) c.closedOnTime++;
    if (close && !failed) c.firstTimeDone++;
    if (failed) c.reworked++;
    if (ext) c.extended++;
    const visit = last('revisit');
    if (visit) c.revisited++;
    if (visit?.detail?.satisfied === true) c.satisfied++;
  }
  return c;
}

describe('a generated month, recomputed independently', () => {
  it('every count and rate matches a recount from the histories', () => {
    const cases = month(2000);
    const f = caseFigures(cases);
    const c = fromHistory(cases);
    expect(f).toMatchObject(c);
    // Enough of everything for the comparison to mean something.
    for (const k of ['closed', 'reworked', 'extended', 'revisited', 'satisfied'] as const) expect(c[k], k).toBeGreaterThan(50);
    expect(f.closedOnTime).toBeLessThan(f.closed);
    expect(f.disposedOnTime).toBeLessThan(f.disposed);
    expect(f.rates).toEqual({
      closure: c.closed / c.total,
      onTimeClosure: c.closedOnTime / c.closed,
      onTimeDisposal: c.disposedOnTime / c.disposed,
      rework: c.reworked / c.disposed,
      extension: c.extended / c.total,
      firstTime: c.firstTimeDone / c.closed,
      satisfaction: c.satisfied / c.revisited,
    });
  });
});
