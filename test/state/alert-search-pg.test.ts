// GET /api/alerts/search on the shared state: the same answers as the SQLite search, on a real PostgreSQL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '#devices';
import { AlertRepository } from '../../server/src/alerts/repository.ts';
import { AlertSearch, type AlertSearchQuery, type AlertSearchSource } from '../../server/src/alerts/search.ts';
import { alertCsv, alertCsvAsync, type AlertNames } from '../../server/src/alerts/export-csv.ts';
import type { Principal } from '../../server/src/auth/roles.ts';
import { createLogger } from '../../server/src/log.ts';
import { callerScope, type CallerScope } from '../../server/src/scope/caller-scope.ts';
import { migrate } from '../../server/src/state/migrations.ts';
import { PgAlertSearch } from '../../server/src/state/pg/alert-search.ts';
import { openPg, type PgSql } from '../../server/src/state/pg/connect.ts';
import { alert as fixture } from '../dashboard/fixtures.ts';
import { writeAlertAsOwner } from '../helpers/pg-alerts.ts';
import { startPostgres, type PostgresService } from '../helpers/services.ts';

const principal = (over: Partial<Principal>): Principal => ({ username: 'u', role: 'operator', displayName: null, workerId: null, communities: null, cells: null, ...over });
const SCOPES: Record<string, CallerScope> = {
  admin: callerScope(principal({ role: 'admin' })),
  op1: callerScope(principal({ communities: new Set(['c1']) })),
  workerG2: callerScope(principal({ role: 'worker', cells: new Set(['g2']) })),
  none: callerScope(principal({ communities: new Set() })),
  anonymous: callerScope(null),
};

const DAY = 86_400_000;
const T0 = Date.now() - 30 * DAY;

const alert = (id: string, over: Partial<Alert> = {}): Alert =>
  fixture({ id, severity: 'critical', title: `烟雾报警 Smoke alarm · ${id}`, openedAt: T0, lastSeenAt: T0, buildingId: 'b1', floor: 3, ...over });

const FIXTURES: Alert[] = [
  alert('a1', { openedAt: T0 + 1 * DAY }),
  alert('a2', { openedAt: T0 + 2 * DAY, state: 'resolved', resolvedAt: T0 + 2 * DAY + 60_000, resolvedBy: 'op', history: [{ at: T0 + 2 * DAY + 60_000, action: 'resolved', by: 'op', note: '误报, "cooking"' }] }),
  alert('a3', { openedAt: T0 + 3 * DAY, gridCellId: 'g2', deviceId: 's4', severity: 'major', type: 'smoke_fault' as Alert['type'] }),
  alert('a4', { openedAt: T0 + 4 * DAY, communityId: 'c2', gridCellId: 'g9', deviceId: 'x1', kind: 'gas', type: 'gas_leak' as Alert['type'] }),
  alert('a5', { openedAt: T0 + 5 * DAY, state: 'acknowledged', deviceId: 'gate1', kind: 'gate', type: 'device_offline', severity: 'minor', title: '设备离线 100%_off' }),
  alert('A6', { openedAt: T0 + 5 * DAY, deviceId: 'Cam-1', kind: 'camera', type: 'video_loss' as Alert['type'], title: 'Video LOSS' }),
  // Ties on the opened time, broken by id.
  ...Array.from({ length: 12 }, (_, i) => alert(`p${String(i).padStart(2, '0')}`, { openedAt: T0 + 6 * DAY + Math.floor(i / 4) * 1000, deviceId: `sp${i}`, gridCellId: i % 2 ? 'g2' : 'g1' })),
];

const QUERIES: AlertSearchQuery[] = [
  {},
  { from: T0 + 2 * DAY, to: T0 + 4 * DAY },
  { communityId: 'c2' },
  { gridCellId: 'g2' },
  { kind: 'gate' },
  { type: 'fire_alarm' },
  { severity: 'major' },
  { state: 'resolved' },
  { state: 'unresolved' },
  { state: 'acknowledged' },
  { q: 's4' },
  { q: '%_' },
  { q: '_' },
  { q: 'video loss' },
  { q: 'cam' },
  { q: '烟雾' },
  { communityId: 'c1', gridCellId: 'g2', state: 'open', from: T0 + 6 * DAY },
];

describe('alert search on PostgreSQL and on SQLite', () => {
  let pg: PostgresService;
  let sql: PgSql;
  let db: Database.Database;
  let sqlite: AlertSearch;
  let shared: PgAlertSearch;
  beforeAll(async () => {
    pg = await startPostgres();
    sql = await openPg(await pg.database('alert_search'), createLogger('silent'), { max: 2 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csh-search-pg-'));
    db = new Database(path.join(dir, 'state.db'));
    migrate(db);
    const repo = new AlertRepository(db);
    for (const a of FIXTURES) {
      repo.save(a);
      await writeAlertAsOwner(sql, a, 'hub-x', { notify: false });
    }
    sqlite = new AlertSearch(db);
    shared = new PgAlertSearch(sql);
  }, 60_000);
  afterAll(async () => {
    db?.close();
    await sql?.end();
    await pg?.stop();
  });

  /** Every page of a query, following the cursors. */
  async function pages(search: AlertSearchSource, query: AlertSearchQuery, scope: CallerScope, limit: number): Promise<string[][]> {
    const out: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await search.page(query, scope, { limit, ...(cursor ? { cursor } : {}) });
      out.push(page.alerts.map((a) => a.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor && out.length < 50);
    return out;
  }

  it('answers every filter, scope and page the same, newest first', async () => {
    let compared = 0;
    for (const [name, scope] of Object.entries(SCOPES)) {
      for (const query of QUERIES) {
        for (const limit of [3, 100]) {
          const want = await pages(sqlite, query, scope, limit);
          expect({ name, query, limit, ids: await pages(shared, query, scope, limit) }).toEqual({ name, query, limit, ids: want });
          compared++;
        }
      }
    }
    expect(compared).toBe(Object.keys(SCOPES).length * QUERIES.length * 2);
    // Spot checks that the comparison is not of two empty answers.
    expect((await shared.page({}, SCOPES.admin!)).alerts).toHaveLength(FIXTURES.length);
    expect((await shared.page({ q: '%_' }, SCOPES.admin!)).alerts.map((a) => a.id)).toEqual(['a5']);
    expect((await shared.page({}, SCOPES.workerG2!)).alerts.every((a) => a.gridCellId === 'g2')).toBe(true);
  });

  it('continues a cursor the SQLite search gave (the same keyset), and refuses one it did not give', async () => {
    const first = sqlite.page({}, SCOPES.admin!, { limit: 5 });
    const next = await shared.page({}, SCOPES.admin!, { limit: 5, cursor: first.nextCursor! });
    expect(next.alerts.map((a) => a.id)).toEqual(sqlite.page({}, SCOPES.admin!, { limit: 5, cursor: first.nextCursor! }).alerts.map((a) => a.id));
    await expect(shared.page({}, SCOPES.admin!, { cursor: 'nope' })).rejects.toThrow(/cursor/);
  });

  it('exports the same CSV, byte for byte', async () => {
    const names: AlertNames = { community: (id) => (id === 'c1' ? { zh: '阳光社区', en: 'Sunshine' } : undefined), cell: () => undefined, building: () => undefined, device: () => undefined };
    for (const scope of [SCOPES.admin!, SCOPES.op1!]) {
      const want = [...alertCsv(sqlite.all({}, scope), names, 'zh', 480)].join('');
      let got = '';
      for await (const piece of alertCsvAsync(shared.all({}, scope), names, 'zh', 480)) got += piece;
      expect(got).toBe(want);
      expect(got.split('\r\n').length).toBeGreaterThan(5);
    }
  });
});
