import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ReplayGuard } from '../../server/src/ingest/adapters/replay-guard.ts';
import { migrate } from '../../server/src/state/migrations.ts';

describe('the memory of platform packets already taken', () => {
  it('forgets the oldest first when full, a packet seen again counting as new', () => {
    const g = new ReplayGuard(undefined, 3);
    for (const k of ['a', 'b', 'c']) g.add(k);
    g.add('a');
    g.add('d');
    expect(['a', 'b', 'c', 'd'].filter((k) => g.has(k))).toEqual(['a', 'c', 'd']);
    // Many rounds of eviction: always the newest three.
    for (let i = 0; i < 1000; i++) g.add(`k${i}`);
    expect(g.size).toBe(3);
    expect(['k996', 'k997', 'k998', 'k999'].filter((k) => g.has(k))).toEqual(['k997', 'k998', 'k999']);
  });

  it('prunes expired packets in the state database by index, and reads back only live ones', () => {
    const db = new Database(':memory:');
    migrate(db);
    const plan = (sql: string, ...params: number[]) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join('; ');
    expect(plan('DELETE FROM push_replays WHERE at <= ?', 0)).toMatch(/USING (COVERING )?INDEX push_replays_by_at/);
    expect(plan('SELECT key, at FROM push_replays WHERE at > ? ORDER BY at DESC LIMIT ?', 0, 10)).toMatch(/INDEX push_replays_by_at/);
    let now = 1_000_000;
    const g = new ReplayGuard(db, 100, 60_000, () => now);
    g.start();
    g.add('old');
    now += 30_000;
    g.add('new');
    now += 40_000;
    g.stop(); // writes behind and prunes what is older than a minute
    expect(db.prepare('SELECT key FROM push_replays ORDER BY at').all()).toEqual([{ key: 'new' }]);
    const again = new ReplayGuard(db, 100, 60_000, () => now);
    again.start();
    expect([again.has('old'), again.has('new')]).toEqual([false, true]);
    again.stop();
  });
});
