/**
 * HTTP push ingest (issue 18): CTWing dataReport pushes at fixed offered rates into a hub process
 * (embedded broker, SQLite store) over keep-alive connections; per step the answered rate and the
 * answer time (from each push's scheduled send time, so a slow hub cannot hide its queue).
 *
 *   node --import tsx bench/push.ts [--rates 1000,2000,3000,4000] [--step-s 10] [--devices 2000] [--connections 64]
 *
 * Floor: 2,000 pushes/s answered 200 with p99 answer time ≤ 50 ms.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ctwing } from '../simulators/nbiot/index.ts';
import { startHubProcess, tempDataDir } from '../test/helpers/hub.ts';
import { cpuPct, sample } from './procstat.ts';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: process.env.BENCH_PUSH_RATES ?? '1000,2000,3000,4000' },
    'step-s': { type: 'string', default: process.env.BENCH_PUSH_STEP_S ?? '10' },
    devices: { type: 'string', default: '2000' },
    connections: { type: 'string', default: '64' },
    /** a directory: the hub runs with --cpu-prof and leaves its profiles there */
    'cpu-prof': { type: 'string' },
  },
});
const RATES = values.rates!.split(',').map(Number);
const STEP_S = Number(values['step-s']);
const DEVICES = Number(values.devices);
const CONNECTIONS = Number(values.connections);
const FLOOR = { rate: 2000, p99Ms: 50 };
const PRODUCT = '15100001';
const TOKEN = 'bench-ctwing-token-0001';
const log = (l: string) => process.stderr.write(`${l}\n`);
const repoRoot = path.resolve(import.meta.dirname, '..');

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]! * 100) / 100 : null;
};

const imei = (i: number) => `86${String(1_000_000_000_000 + i).slice(-13)}`;
const dataDir = tempDataDir('bench-push');
const configFile = path.join(dataDir, 'config.json');
fs.writeFileSync(
  configFile,
  JSON.stringify({
    communities: [{ id: 'c1', cells: [{ id: 'g1', buildings: [{ id: 'b1' }] }] }],
    devices: Array.from({ length: DEVICES }, (_, i) => ({ id: imei(i), kind: 'smoke', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1' })),
    platforms: {
      ctwing: [
        {
          id: PRODUCT,
          kind: 'smoke',
          token: TOKEN,
          map: { telemetry: { smoke_obscuration_pct_per_m: { from: 'smoke_value', scale: 0.01 }, temperature_c: 'temperature', battery_pct: 'battery_value', rssi_dbm: 'rsrp' }, events: [{ type: 'alarm', when: { smoke_state: 1 } }] },
        },
      ],
    },
  }),
);
// The hub as `npm start` runs it.
spawnSync(process.execPath, [path.join(repoRoot, 'scripts/build-server.mjs'), '--if-stale'], { cwd: repoRoot, stdio: 'inherit' });
const hub = await startHubProcess({ HUB_CONFIG: configFile, LOG_LEVEL: 'warn' }, { bundled: true, nodeArgs: values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : [] });
const { hostname, port } = new URL(hub.httpUrl);
const sn = new Uint32Array(DEVICES);

/** One CTWing dataReport as the platform shapes it (the NB-IoT simulator's). */
function body(i: number): string {
  const id = imei(i);
  return JSON.stringify(ctwing.dataReport({ productId: PRODUCT, deviceId: `${PRODUCT}${id}`, imei: id, sn: ++sn[i]!, ts: Date.now(), serviceData: { smoke_value: 3, temperature: 22.5, battery_value: 90, rsrp: -95, smoke_state: 0 } }));
}

/**
 * A keep-alive HTTP/1.1 client on raw sockets, as autocannon does it: a node:http request costs
 * the client more CPU than the hub's answer, and on two cores the client must not be the limit.
 * One request at a time per connection (no pipelining: a platform does not pipeline).
 */
class Connection {
  private readonly socket: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  private waiting: ((status: number) => void) | undefined;
  readonly ready: Promise<void>;

  constructor() {
    this.socket = net.connect(Number(port), hostname);
    this.socket.setNoDelay(true);
    this.ready = new Promise((r, j) => this.socket.once('connect', r).once('error', j));
    this.socket.on('data', (d: Buffer) => this.read(d));
    this.socket.on('error', () => this.answer(0));
    this.socket.on('close', () => this.answer(0));
  }

  get busy(): boolean {
    return this.waiting !== undefined;
  }

  send(data: string, done: (status: number) => void): void {
    this.waiting = done;
    this.socket.write(`POST /api/ingest/ctwing/${PRODUCT}?token=${TOKEN} HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(data)}\r\n\r\n${data}`);
  }

  close(): void {
    this.socket.destroy();
  }

  private read(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    const head = this.buf.indexOf('\r\n\r\n');
    if (head < 0) return;
    const text = this.buf.subarray(0, head).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text)?.[1] ?? 0);
    if (this.buf.length < head + 4 + length) return;
    this.buf = this.buf.subarray(head + 4 + length);
    this.answer(Number(text.slice(9, 12)));
  }

  private answer(status: number): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.(status);
  }
}

const connections = Array.from({ length: CONNECTIONS }, () => new Connection());
await Promise.all(connections.map((c) => c.ready));
const queue: [string, (status: number) => void][] = [];
function dispatch(): void {
  for (const c of connections) {
    if (queue.length === 0) return;
    if (c.busy) continue;
    const [data, done] = queue.shift()!;
    c.send(data, (status) => {
      done(status);
      dispatch();
    });
  }
}
function push(i: number): Promise<number> {
  return new Promise((resolve) => {
    queue.push([body(i), resolve]);
    dispatch();
  });
}

function clientPct(since: NodeJS.CpuUsage, elapsedS: number): number {
  const u = process.cpuUsage(since);
  return Math.round(((u.user + u.system) / 1e4 / elapsedS) * 10) / 10;
}

interface PushStep {
  targetRate: number;
  sent: number;
  ok: number;
  failed: number;
  achievedRate: number;
  answerP50Ms: number | null;
  answerP99Ms: number | null;
  answerMaxMs: number | null;
  hubCpuPct: number | null;
  /** the hub's CPU time per answered push: its cost whatever else the machine runs */
  hubCpuUsPerPush: number | null;
  clientCpuPct: number;
}

/** Pushes at `rate`/s for STEP_S seconds, paced by a 5 ms tick; the answer time counts from each push's due time. */
async function step(rate: number, seconds: number): Promise<PushStep> {
  const total = Math.round(rate * seconds);
  const times: number[] = [];
  const statuses = new Map<number, number>();
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  const cpu0 = sample(hub.child.pid!);
  const client0 = process.cpuUsage();
  let sent = 0;
  let device = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    for (; sent < due; sent++) {
      const dueAt = start + (sent / rate) * 1000;
      device = (device + 1) % DEVICES;
      inflight.push(
        push(device).then((status) => {
          times.push(performance.now() - dueAt);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(inflight);
  const elapsedS = (performance.now() - start) / 1000;
  const ok = statuses.get(200) ?? 0;
  const result: PushStep = {
    targetRate: rate,
    sent,
    ok,
    failed: sent - ok,
    achievedRate: Math.round(ok / elapsedS),
    answerP50Ms: quantile(times, 0.5),
    answerP99Ms: quantile(times, 0.99),
    answerMaxMs: quantile(times, 1),
    hubCpuPct: cpuPct(cpu0, sample(hub.child.pid!)),
    hubCpuUsPerPush: null,
    clientCpuPct: clientPct(client0, elapsedS),
  };
  if (result.hubCpuPct !== null && ok > 0) result.hubCpuUsPerPush = Math.round((result.hubCpuPct * 1e4 * elapsedS) / ok);
  if (result.failed) log(`  statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  return result;
}

const steps: PushStep[] = [];
try {
  log(`== HTTP push ingest: CTWing dataReport → hub (${DEVICES} NB-IoT smoke detectors, ${CONNECTIONS} keep-alive connections)`);
  await step(500, 2); // warm-up: connections, JIT
  for (const rate of RATES) {
    const s = await step(rate, STEP_S);
    steps.push(s);
    log(`  ${rate}/s offered: ${s.achievedRate}/s answered 200 (${s.failed} failed), answer p50 ${s.answerP50Ms} ms p99 ${s.answerP99Ms} ms max ${s.answerMaxMs} ms, hub CPU ${s.hubCpuPct}% (${s.hubCpuUsPerPush} µs/push), client CPU ${s.clientCpuPct}%`);
    // Far behind the offered rate: higher rates only queue longer (minutes), and cannot pass either.
    if (s.achievedRate < rate * 0.5) {
      log(`  stopping the ladder: ${s.achievedRate}/s answered of ${rate}/s offered`);
      break;
    }
  }
} finally {
  for (const c of connections) c.close();
  await hub.kill();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
const good = steps.filter((s) => s.failed === 0 && s.answerP99Ms !== null && s.answerP99Ms <= FLOOR.p99Ms && s.achievedRate >= s.targetRate * 0.97);
const top = good.at(-1);
const atFloor = steps.find((s) => s.targetRate === FLOOR.rate);
const result = {
  devices: DEVICES,
  connections: CONNECTIONS,
  stepS: STEP_S,
  maxRateWithinP99: top?.achievedRate ?? 0,
  answerP99MsAtFloorRate: atFloor?.answerP99Ms ?? null,
  hubCpuUsPerPush: atFloor?.hubCpuUsPerPush ?? steps.at(-1)?.hubCpuUsPerPush ?? null,
  loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10),
  floor: FLOOR,
  pass: good.some((s) => s.targetRate >= FLOOR.rate),
  steps,
};
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
process.exit(0);
