// The assessment figures' route (issue 17: GET /api/stats/cases over 100,000 cases and 1,000,000
// case events; floor p99 ≤ 300 ms on the embedded store), printed as JSON on stdout.
// The cases are walked through the real stage code (server/src/cases/stages.ts) and written
// through the real repository into a temp DATA_DIR; then the real hub (server/src/main.ts as a
// process) opens it and the route is timed round trip, as an all-scope and a one-community caller.
//   node --import tsx bench/cases.ts [--cases 100000] [--requests 100] [--data-dir DIR]
// --data-dir seeds DIR once and reuses it on later runs (before/after comparisons); it is kept.
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { openStateDb } from '../server/src/db.ts';
import { CaseRepository } from '../server/src/cases/repository.ts';
import { applyAction, createCase, record, type ActionInput, type DeadlinePlanner } from '../server/src/cases/stages.ts';
import type { Case, CaseAction, CaseStage } from '../server/src/cases/model.ts';
import type { CaseActor } from '../server/src/cases/roles.ts';
import { startHubProcess, tempDataDir, type HubProcess } from '../test/helpers/hub.ts';
import { createUser, login } from '../test/helpers/auth.ts';

const { values } = parseArgs({ options: { cases: { type: 'string', default: '100000' }, requests: { type: 'string', default: '100' }, 'data-dir': { type: 'string' } } });
const nCases = Number(values.cases);
const nRequests = Number(values.requests);
const COMMUNITIES = 20;
const MIN = 60_000;
const r1 = (x: number) => Math.round(x * 10) / 10;

/** A linear congruential generator: the same cases on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

const offsets: Partial<Record<CaseStage, number>> = { accepted: 30, registered: 60, dispatched: 60, disposed: 2880, verified: 240, closed: 7200, revisited: 4320 };
const plan: DeadlinePlanner = (target, from) => (offsets[target] === undefined ? undefined : from + offsets[target]! * MIN);
const boss: CaseActor = { username: 'bench', ids: new Set(['bench']), roles: new Set(['control', 'supervisor', 'worker']) };

/** A year of cases ending now, most of them walked to the end, some reworked or extended: ~10 events a case. */
function seed(dataDir: string): { cases: number; events: number; seedS: number } {
  const t0 = Date.now();
  const db = openStateDb(dataDir);
  const repo = new CaseRepository(db);
  const r = rng(17);
  const start = Date.now() - 365 * 86_400_000;
  let events = 0;
  const batch = 5000;
  for (let done = 0; done < nCases; done += batch) {
    repo.transaction(() => {
      for (let i = done; i < Math.min(nCases, done + batch); i++) {
        const createdAt = start + Math.floor(r() * 365 * 1440) * MIN;
        const community = `c${String(1 + Math.floor(r() * COMMUNITIES)).padStart(2, '0')}`;
        const cell = `${community}-g${1 + Math.floor(r() * 5)}`;
        let c: Case = createCase(
          { title: `案件 ${i}`, category: ['hazard', 'dispute', 'sanitation', 'fire'][Math.floor(r() * 4)]!, description: '巡查发现', source: 'patrol', communityId: community, gridCellId: cell },
          { id: `case-${i}`, code: `${community.toUpperCase()}-${i}` },
          'bench',
          createdAt,
          plan,
        );
        let m = 0;
        const go = (action: CaseAction, input: ActionInput = {}, max = 120) => {
          m += 1 + Math.floor(r() * max);
          c = applyAction(c, action, { note: '处理', ...input }, boss, createdAt + m * MIN, plan);
        };
        const depth = r() < 0.88 ? 8 : Math.floor(r() * 8);
        if (depth >= 1) go('accept', {}, 40);
        if (depth >= 2) go('register', {}, 60);
        if (depth >= 3) go('dispatch', { assignee: `${cell}-w` }, 60);
        if (depth >= 3 && r() < 0.3) go('dispatch', { assignee: `${cell}-w` }, 30);
        if (depth >= 3 && r() < 0.3) go('supervise', {}, 30);
        // What the deadline monitor writes: a reminder before the disposal deadline.
        if (depth >= 3 && r() < 0.5) record(c, { at: createdAt + (m + 60) * MIN, action: 'reminded', by: 'hub', detail: { stage: 'disposed' } });
        if (depth >= 3 && r() < 0.3) {
          // The supervisor's own request is granted at once.
          go('extend', { until: createdAt + (m + 5000) * MIN, reason: '等材料' }, 10);
        }
        if (depth >= 4) {
          go('dispose', {}, 3000);
          for (let k = 0; depth >= 5 && k < 2 && r() < 0.45; k++) (go('verify', { passed: false }, 200), go('dispose', {}, 1000));
        }
        if (depth >= 5) go('verify', { passed: true }, 200);
        if (depth >= 6) go('close', {}, 2000);
        if (depth >= 7) go('revisit', { satisfied: r() < 0.9 }, 3000);
        // A hub that ran all year marked the old open ones overdue long ago (the monitor would, at start).
        if (depth < 8) c = { ...c, overdue: true, overdueStages: ['accepted', 'registered', 'dispatched', 'disposed', 'verified', 'closed', 'revisited'] };
        events += c.history.length;
        repo.save(c);
      }
    });
  }
  db.close();
  return { cases: nCases, events, seedS: r1((Date.now() - t0) / 1000) };
}

/** What an already seeded DATA_DIR holds. */
function counted(dataDir: string): { cases: number; events: number; seedS: number } {
  const db = openStateDb(dataDir);
  const row = db.prepare('SELECT COUNT(*) AS cases, SUM(json_array_length(data, \'$.history\')) AS events FROM cases').get() as { cases: number; events: number };
  db.close();
  return { ...row, seedS: 0 };
}

function hubConfig(): object {
  return {
    communities: Array.from({ length: COMMUNITIES }, (_, k) => {
      const id = `c${String(k + 1).padStart(2, '0')}`;
      return { id, name: `社区${k + 1}`, cells: Array.from({ length: 5 }, (_, g) => ({ id: `${id}-g${g + 1}`, workers: [`${id}-g${g + 1}-w`] })) };
    }),
    workers: Array.from({ length: COMMUNITIES * 5 }, (_, k) => ({ id: `c${String(Math.floor(k / 5) + 1).padStart(2, '0')}-g${(k % 5) + 1}-w`, name: `网格员${k + 1}`, role: 'worker' })),
  };
}

/** `cold`: every request asks something new (from=<i> ms, before every case), so no answer is reused: what a request costs after a case event. */
async function timeRoute(url: string, headers: Record<string, string>, cold = false): Promise<{ p50Ms: number; p99Ms: number; maxMs: number; total: number }> {
  const ms: number[] = [];
  let total = 0;
  for (let i = 0; i < nRequests + 3; i++) {
    const s = performance.now();
    const res = await fetch(cold ? `${url}${url.includes('?') ? '&' : '?'}from=${i + 1}` : url, { headers });
    if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
    total = ((await res.json()) as { total: number }).total;
    // The first few warm the statement cache and SQLite's page cache.
    if (i >= 3) ms.push(performance.now() - s);
  }
  ms.sort((a, b) => a - b);
  const at = (p: number) => ms[Math.max(0, Math.ceil(p * ms.length) - 1)]!;
  return { p50Ms: r1(at(0.5)), p99Ms: r1(at(0.99)), maxMs: r1(ms.at(-1)!), total };
}

async function main() {
  const kept = values['data-dir'];
  const dataDir = kept ?? tempDataDir('cases-bench');
  if (!kept) process.once('exit', () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const seeded = kept && fs.existsSync(path.join(dataDir, 'hub.db')) ? counted(dataDir) : seed(dataDir);
  process.stderr.write(`  seeded ${seeded.cases} cases, ${seeded.events} events in ${seeded.seedS} s\n`);
  const configFile = path.join(dataDir, 'cases-bench.json');
  fs.writeFileSync(configFile, JSON.stringify(hubConfig()));
  // Fixed: a kept DATA_DIR already has these accounts (loopback only, gone with the temp dir).
  const admin = { username: 'bench-admin', password: 'bench-admin-password-1' };
  const one = { username: 'bench-one', password: 'bench-one-password-1' };
  let hub: HubProcess | undefined;
  try {
    hub = await startHubProcess({ DATA_DIR: dataDir, HUB_CONFIG: configFile, HUB_BOOTSTRAP_ADMIN: `${admin.username}:${admin.password}`, LOG_LEVEL: 'warn' });
    const token = await login(hub.httpUrl, admin);
    await createUser(hub.httpUrl, token, { ...one, role: 'operator', communities: ['c01'] }).catch((err: unknown) => {
      if (!kept) throw err;
    });
    const all = { authorization: `Bearer ${token}` };
    const mine = { authorization: `Bearer ${await login(hub.httpUrl, one)}` };
    const base = `${hub.httpUrl}/api/stats/cases`;
    const routes = {
      allScope: await timeRoute(base, all),
      allScopeByCommunity: await timeRoute(`${base}?groupBy=community`, all),
      allScopeByMonth: await timeRoute(`${base}?groupBy=month`, all),
      allScopeByWorker: await timeRoute(`${base}?groupBy=worker`, all),
      oneCommunityByDay: await timeRoute(`${base}?groupBy=day`, mine),
      allScopeCold: await timeRoute(base, all, true),
      allScopeByCommunityCold: await timeRoute(`${base}?groupBy=community`, all, true),
      allScopeByMonthCold: await timeRoute(`${base}?groupBy=month`, all, true),
      allScopeByWorkerCold: await timeRoute(`${base}?groupBy=worker`, all, true),
      oneCommunityByDayCold: await timeRoute(`${base}?groupBy=day`, mine, true),
    };
    const worst = Math.max(...Object.values(routes).map((r) => r.p99Ms));
    console.log(
      JSON.stringify(
        {
          bench: 'cases',
          target: 'real hub (server/src/main.ts, embedded SQLite store); cases walked through server/src/cases/stages.ts',
          ...seeded,
          requestsPerRoute: nRequests,
          routes,
          worstP99Ms: worst,
          floorP99Ms: 300,
          pass: worst <= 300,
        },
        null,
        2,
      ),
    );
  } finally {
    await hub?.kill('SIGTERM');
  }
}

await main();
process.exit(0);
