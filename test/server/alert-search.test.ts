import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '#devices';
import { AlertRepository } from '../../server/src/alerts/repository.ts';
import { AlertSearch, decodeCursor, encodeCursor } from '../../server/src/alerts/search.ts';
import { alertCsv, csvField, type AlertNames } from '../../server/src/alerts/export-csv.ts';
import type { Principal } from '../../server/src/auth/roles.ts';
import { parseHubConfig } from '../../server/src/grid/config-file.ts';
import type { Hub } from '../../server/src/hub.ts';
import { callerScope } from '../../server/src/scope/caller-scope.ts';
import { migrate } from '../../server/src/state/migrations.ts';
import { authedFetch, createUser, login } from '../helpers/auth.ts';
import { startHub } from '../helpers/hub.ts';

const principal = (over: Partial<Principal>): Principal => ({ username: 'u', role: 'operator', displayName: null, workerId: null, communities: null, cells: null, ...over });
const admin = callerScope(principal({ role: 'admin' }));
const op1 = callerScope(principal({ communities: new Set(['c1']) }));
const workerG2 = callerScope(principal({ role: 'worker', cells: new Set(['g2']) }));

const DAY = 86_400_000;
const T0 = Date.now() - 30 * DAY;

function alert(id: string, over: Partial<Alert> = {}): Alert {
  return {
    id, communityId: 'c1', gridCellId: 'g1', deviceId: 's1', kind: 'smoke', type: 'fire_alarm', severity: 'critical', state: 'open', title: `烟雾报警 Smoke alarm · ${id}`,
    openedAt: T0, lastSeenAt: T0, clearedAt: null, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null, count: 1, assignee: null,
    escalationLevel: 0, incidentId: null, history: [], buildingId: 'b1', floor: 3, ...over,
  } as Alert;
}

function tempDb(name: string): { db: Database.Database; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `csh-${name}-`));
  const file = path.join(dir, 'state.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  migrate(db);
  return { db, file };
}

const ids = (page: { alerts: Alert[] }) => page.alerts.map((a) => a.id);

describe('AlertSearch over a real SQLite file', () => {
  let db: Database.Database;
  let repo: AlertRepository;
  let search: AlertSearch;
  beforeAll(() => {
    ({ db } = tempDb('search'));
    repo = new AlertRepository(db);
    search = new AlertSearch(db);
    repo.save(alert('a1', { openedAt: T0 + 1 * DAY }));
    repo.save(alert('a2', { openedAt: T0 + 2 * DAY, state: 'resolved', resolvedAt: T0 + 2 * DAY + 60_000, resolvedBy: 'op' }));
    repo.save(alert('a3', { openedAt: T0 + 3 * DAY, gridCellId: 'g2', deviceId: 's4', severity: 'major', type: 'smoke_fault' as Alert['type'] }));
    repo.save(alert('a4', { openedAt: T0 + 4 * DAY, communityId: 'c2', gridCellId: 'g9', deviceId: 'x1', kind: 'gas', type: 'gas_leak' as Alert['type'] }));
    repo.save(alert('a5', { openedAt: T0 + 5 * DAY, state: 'acknowledged', deviceId: 'gate1', kind: 'gate', type: 'device_offline', severity: 'minor', title: '设备离线 100%_off' }));
  });
  afterAll(() => db.close());

  it('filters by time, community, cell, kind, type, severity, state and text, newest first', () => {
    expect(ids(search.page({}, admin))).toEqual(['a5', 'a4', 'a3', 'a2', 'a1']);
    expect(ids(search.page({ from: T0 + 2 * DAY, to: T0 + 4 * DAY }, admin))).toEqual(['a3', 'a2']);
    expect(ids(search.page({ communityId: 'c2' }, admin))).toEqual(['a4']);
    expect(ids(search.page({ gridCellId: 'g2' }, admin))).toEqual(['a3']);
    expect(ids(search.page({ kind: 'gate' }, admin))).toEqual(['a5']);
    expect(ids(search.page({ type: 'fire_alarm' }, admin))).toEqual(['a2', 'a1']);
    expect(ids(search.page({ severity: 'major' }, admin))).toEqual(['a3']);
    expect(ids(search.page({ state: 'resolved' }, admin))).toEqual(['a2']);
    expect(ids(search.page({ state: 'unresolved' }, admin))).toEqual(['a5', 'a4', 'a3', 'a1']);
    expect(ids(search.page({ q: 's4' }, admin))).toEqual(['a3']);
    // LIKE wildcards in what a person types are literal.
    expect(ids(search.page({ q: '%_' }, admin))).toEqual(['a5']);
    expect(ids(search.page({ q: '_' }, admin))).toEqual(['a5']);
  });

  it('applies the caller scope in the query: an operator of c1 never sees c2, a worker only its cells', () => {
    expect(ids(search.page({}, op1))).toEqual(['a5', 'a3', 'a2', 'a1']);
    expect(ids(search.page({ communityId: 'c2' }, op1))).toEqual([]);
    expect(ids(search.page({}, workerG2))).toEqual(['a3']);
    expect(ids(search.page({}, callerScope(null)))).toEqual([]);
    expect(ids(search.page({}, callerScope(principal({ communities: new Set() }))))).toEqual([]);
    // A full page for a scoped caller: the scope is in the WHERE, not a filter after LIMIT.
    expect(ids(search.page({}, op1, { limit: 2 }))).toEqual(['a5', 'a3']);
  });

  it('pages by cursor on (opened time, id): no repeats or gaps while new alerts arrive, ties broken by id', () => {
    const { db: pdb } = tempDb('paging');
    const prepo = new AlertRepository(pdb);
    const ps = new AlertSearch(pdb);
    // 25 alerts, five sharing each opened time.
    for (let i = 0; i < 25; i++) prepo.save(alert(`p${String(i).padStart(2, '0')}`, { openedAt: T0 + Math.floor(i / 5) * 1000 }));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = ps.page({ communityId: 'c1' }, op1, { limit: 4, ...(cursor ? { cursor } : {}) });
      seen.push(...ids(page));
      // New alerts arrive between pages: newer than any, so they never shift the pages still to come.
      prepo.save(alert(`new${pages}`, { openedAt: T0 + 10 * DAY + pages }));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    const expected = Array.from({ length: 25 }, (_, i) => `p${String(i).padStart(2, '0')}`).sort((a, b) => Math.floor(Number(b.slice(1)) / 5) - Math.floor(Number(a.slice(1)) / 5) || (a < b ? 1 : -1));
    expect(seen).toEqual(expected);
    expect(pages).toBe(7);
    pdb.close();
  });

  it('refuses a cursor it did not give', () => {
    expect(decodeCursor(encodeCursor({ openedAt: 5, id: 'x' }))).toEqual({ openedAt: 5, id: 'x' });
    for (const bad of ['nope', Buffer.from('[1]').toString('base64url'), Buffer.from('["a","b"]').toString('base64url')]) {
      expect(() => search.page({}, admin, { cursor: bad })).toThrow(/cursor/);
    }
  });

  it('uses an index for paging, never a full scan and sort', () => {
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
    const byTime = plan(`SELECT data FROM alerts WHERE (opened_at, id) < (1, 'x') ORDER BY opened_at DESC, id DESC LIMIT 10`);
    expect(byTime).toMatch(/alerts_by_opened/);
    expect(byTime).not.toMatch(/TEMP B-TREE/);
    const byCommunity = plan(`SELECT data FROM alerts WHERE community_id IN ('c1') AND opened_at >= 0 ORDER BY opened_at DESC, id DESC LIMIT 10`);
    expect(byCommunity).toMatch(/alerts_by_community_opened/);
  });
});

describe('CSV quoting', () => {
  it('quotes commas, quotes and newlines per RFC 4180 and defuses formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line1\nline2')).toBe('"line1\nline2"');
    expect(csvField('cr\r\nlf')).toBe('"cr\r\nlf"');
    expect(csvField('阳光社区')).toBe('阳光社区');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField(null)).toBe('');
    expect(csvField(-3)).toBe('-3');
  });

  it('writes a BOM, a header and one line per alert with names, ISO and local times', () => {
    const names: AlertNames = { community: () => ({ zh: '阳光社区', en: 'Sunshine' }), cell: () => '一网格', building: () => '3号楼', device: () => '306 厨房, "烟感"' };
    const resolved = alert('r1', {
      openedAt: Date.UTC(2026, 2, 7, 6, 5, 9), state: 'resolved', resolvedAt: Date.UTC(2026, 2, 7, 7, 0, 0), resolvedBy: 'op1',
      history: [{ at: 0, action: 'resolved', by: 'op1', note: '误报,\n已复位' }] as Alert['history'],
    });
    const text = [...alertCsv([resolved], names, 'zh', 480)].join('');
    expect(text.startsWith('\uFEFF告警编号,开始时间(ISO),开始时间(UTC+8),')).toBe(true);
    const line = text.split('\r\n')[1]!;
    expect(line).toContain('r1,2026-03-07T06:05:09.000Z,2026-03-07 14:05:09,已处置,紧急,');
    expect(line).toContain(',阳光社区,一网格,3号楼,3,"306 厨房, ""烟感""",s1,');
    expect(text).toContain(',2026-03-07T07:00:00.000Z,2026-03-07 15:00:00,op1,"误报,\n已复位"\r\n');
    const en = [...alertCsv([resolved], names, 'en', -150)].join('');
    expect(en).toContain('Opened (UTC-2:30)');
    expect(en).toContain(',resolved,critical,');
    expect(en).toContain(',Sunshine,');
  });
});

describe('search and export over HTTP on a real hub', () => {
  let hub: Hub;
  let url: string;
  let adminToken: string;
  let opToken: string;
  beforeAll(async () => {
    const file = parseHubConfig({
      communities: [
        { id: 'c1', name: { zh: '阳光社区', en: 'Sunshine' }, cells: [{ id: 'g1', name: { zh: '一网格', en: 'Cell 1' }, buildings: [{ id: 'b1', name: { zh: '3号楼', en: 'Building 3' } }] }] },
        { id: 'c2', name: { zh: '月亮社区', en: 'Moon' }, cells: [{ id: 'g9', buildings: [] }] },
      ],
      devices: [
        { id: 's1', kind: 'smoke', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1', floor: 3, name: { zh: '306 厨房烟感', en: '306 kitchen smoke' } },
        { id: 'x1', kind: 'gas', communityId: 'c2', gridCellId: 'g9' },
      ],
    });
    hub = await startHub({ file: { ...file, cameraLists: [] }, httpRateLimit: 1_000_000 });
    url = hub.httpUrl;
    // A hub given its config file's contents (not its path) leaves the devices to us.
    for (const d of file.devices ?? []) hub.registry.provision(d);
    const repo = new AlertRepository(hub.db);
    for (let i = 0; i < 30; i++) repo.save(alert(`h${String(i).padStart(2, '0')}`, { openedAt: T0 + i * 1000, state: i % 3 === 0 ? 'resolved' : 'open' }));
    repo.save(alert('h-c2', { communityId: 'c2', gridCellId: 'g9', deviceId: 'x1', kind: 'gas', type: 'gas_leak' as Alert['type'], buildingId: null, title: 'Gas, "leak"' }));
    adminToken = await login(url);
    await createUser(url, adminToken, { username: 'op1', password: 'operator-password-1', role: 'operator', communities: ['c1'] });
    opToken = await login(url, { username: 'op1', password: 'operator-password-1' });
  });
  afterAll(async () => hub?.stop());

  it('pages GET /api/alerts/search in the caller scope', async () => {
    const get = authedFetch(opToken);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(`${url}/api/alerts/search?state=resolved&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { alerts: Alert[]; nextCursor: string | null };
      seen.push(...body.alerts.map((a) => a.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['h27', 'h24', 'h21', 'h18', 'h15', 'h12', 'h09', 'h06', 'h03', 'h00']);
    const c2 = (await (await get(`${url}/api/alerts/search?communityId=c2`)).json()) as { alerts: Alert[] };
    expect(c2.alerts).toEqual([]);
    const all = (await (await authedFetch(adminToken)(`${url}/api/alerts/search?communityId=c2`)).json()) as { alerts: Alert[] };
    expect(all.alerts.map((a) => a.id)).toEqual(['h-c2']);
  });

  it('refuses bad filters and cursors with 400, and callers without a session with 401', async () => {
    const get = authedFetch(opToken);
    for (const q of ['from=yesterday', 'severity=huge', 'limit=0', 'limit=501', 'cursor=garbage', 'kind=toaster', 'extra=1']) {
      expect((await get(`${url}/api/alerts/search?${q}`)).status, q).toBe(400);
    }
    expect((await fetch(`${url}/api/alerts/search`)).status).toBe(401);
    expect((await fetch(`${url}/api/alerts/export.csv`)).status).toBe(401);
  });

  it('streams GET /api/alerts/export.csv with a BOM, names not ids, in scope, and audits it', async () => {
    const res = await authedFetch(opToken)(`${url}/api/alerts/export.csv?from=${T0}&lang=zh`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="alerts-\d{4}-\d{2}-\d{2}\.csv"/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
    const lines = text.slice(1).split('\r\n').filter(Boolean);
    expect(lines).toHaveLength(31);
    expect(lines[1]).toMatch(/^h29,/);
    expect(lines[1]).toContain(',未确认,紧急,火灾报警,烟感,阳光社区,一网格,3号楼,3,306 厨房烟感,s1,');
    expect(text).not.toContain('h-c2');
    const adminCsv = await (await authedFetch(adminToken)(`${url}/api/alerts/export.csv?communityId=c2&lang=en`)).text();
    expect(adminCsv).toContain(',Moon,g9,,3,x1,x1,"Gas, ""leak""",');
    const audit = (await (await authedFetch(adminToken)(`${url}/api/audit?action=alert.export`)).json()) as { entries: { actor: string; detail: unknown }[] };
    expect(audit.entries.map((e) => e.actor).sort()).toEqual(['admin', 'op1']);
  });
});

describe('a million stored alerts', () => {
  it('pages a filtered window and exports it with the heap bounded', async () => {
    const { db } = tempDb('million');
    // A bulk load's page cache (SQLite's, not the JS heap): at the default 2 MB the random
    // (device_id, type) index thrashes and the load takes minutes on a loaded machine.
    db.pragma('cache_size = -262144');
    const N = 1_000_000;
    const insert = db.prepare(`INSERT INTO alerts (id, community_id, cell_id, device_id, kind, type, severity, state, incident_id, opened_at, data)
      VALUES (?, ?, ?, ?, 'smoke', ?, ?, ?, NULL, ?, ?)`);
    const severities = ['critical', 'major', 'minor', 'info'] as const;
    const started = performance.now();
    db.transaction(() => {
      for (let i = 0; i < N; i++) {
        const a = alert(`m${String(i).padStart(7, '0')}`, {
          communityId: `c${i % 4}`, gridCellId: `g${i % 16}`, deviceId: `d${i % 5000}`, severity: severities[i % 4]!, state: i % 10 === 0 ? 'open' : 'resolved', openedAt: T0 + i * 1000,
        });
        insert.run(a.id, a.communityId, a.gridCellId, a.deviceId, a.type, a.severity, a.state, a.openedAt, JSON.stringify(a));
      }
    })();
    const insertMs = performance.now() - started;
    const search = new AlertSearch(db);
    const scope = callerScope(principal({ communities: new Set(['c1']) }));
    // c1 (a quarter) of the window's 100,000 seconds, all resolved (the open tenth are even ids, c1 odd).
    const window = { from: T0 + 400_000 * 1000, to: T0 + 500_000 * 1000, state: 'resolved' as const };
    const heapBefore = process.memoryUsage().heapUsed;
    let heapMax = heapBefore;
    const sample = () => (heapMax = Math.max(heapMax, process.memoryUsage().heapUsed));

    const pageStart = performance.now();
    let cursor: string | undefined;
    let paged = 0;
    let pages = 0;
    let last = Infinity;
    do {
      const page = search.page(window, scope, { limit: 500, ...(cursor ? { cursor } : {}) });
      for (const a of page.alerts) {
        expect(a.openedAt).toBeLessThan(last);
        last = a.openedAt;
      }
      paged += page.alerts.length;
      pages++;
      cursor = page.nextCursor ?? undefined;
      if (pages % 10 === 0) sample();
    } while (cursor);
    const pageMs = performance.now() - pageStart;
    expect(paged).toBe(25_000);

    // The export of a quarter of the table (250,000 rows) through the same stream the route sends.
    const exportStart = performance.now();
    let bytes = 0;
    let lines = 0;
    const names: AlertNames = { community: () => '阳光社区', cell: () => undefined, building: () => undefined, device: () => undefined };
    await pipeline(
      Readable.from(alertCsv(search.all({}, scope), names, 'zh', 480), { objectMode: false, highWaterMark: 64 * 1024 }),
      new Writable({
        write(chunk: Buffer, _enc, done) {
          bytes += chunk.length;
          for (const b of chunk) if (b === 0x0a) lines++;
          sample();
          done();
        },
      }),
    );
    sample();
    const exportMs = performance.now() - exportStart;
    expect(lines).toBe(250_001);
    const growthMb = (heapMax - heapBefore) / 1024 / 1024;
    console.log(
      `1M alerts: insert ${(insertMs / 1000).toFixed(1)} s; ${pages} pages (${paged} alerts) in ${pageMs.toFixed(0)} ms (${(pageMs / pages).toFixed(1)} ms/page); ` +
        `export ${lines - 1} rows, ${(bytes / 1024 / 1024).toFixed(0)} MB in ${(exportMs / 1000).toFixed(1)} s; heap growth ${growthMb.toFixed(1)} MB`,
    );
    expect(growthMb).toBeLessThan(100);
    db.close();
  }, 300_000);
});
