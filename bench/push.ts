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
import { waitFor } from '../test/helpers/ports.ts';
import { cpuPct, sample } from './procstat.ts';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: process.env.BENCH_PUSH_RATES ?? '1000,2000,3000,4000' },
    'step-s': { type: 'string', default: process.env.BENCH_PUSH_STEP_S ?? '10' },
    devices: { type: 'string', default: '2000' },
    connections: { type: 'string', default: '64' },
    /** how long a step may wait for its last answers after its last push was due */
    'drain-s': { type: 'string', default: process.env.BENCH_PUSH_DRAIN_S ?? '10' },
    /** a directory: the hub runs with --cpu-prof and leaves its profiles there */
    'cpu-prof': { type: 'string' },
  },
});
const RATES = values.rates!.split(',').map(Number);
const STEP_S = Number(values['step-s']);
const DEVICES = Number(values.devices);
const CONNECTIONS = Number(values.connections);
const DRAIN_S = Number(values['drain-s']);
const FLOOR = { rate: 2000, p99Ms: 50 };
const PRODUCT = '15100001';
const TOKEN = 'bench-ctwing-token-0001';
const log = (l: string) => process.stderr.write(`${l}\n`);
const repoRoot = path.resolve(import.meta.dirname, '..');

const quantile = (xs: ArrayLike<number>, q: number) => {
  const s = Float64Array.from(xs).sort();
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

/** What became of one push: its HTTP status, 0 when its connection died under it. */
type Done = (status: number) => void;

/**
 * A keep-alive HTTP/1.1 client on raw sockets, as autocannon does it: a node:http request costs
 * the client more CPU than the hub's answer, and on two cores the client must not be the limit.
 * One request at a time per connection (no pipelining: a platform does not pipeline), the
 * connections taking turns. The hub closes a connection that sent no request within its
 * headersTimeout (10 s, with a 408), as it must against slow clients: a client that used only
 * its first few connections at 1,000/s found the others dead at 2,000/s, wrote pushes into
 * them that were never answered, and waited for them forever (the stalled step). So a socket
 * that closes fails its push (status 0) and is replaced, and every connection is used in turn.
 */
class Connection {
  private socket!: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  private waiting: Done | undefined;
  private connected = false;
  private closed = false;
  /** Sockets that ended under this connection (the hub closed them, or they failed). */
  lost = 0;

  constructor(private readonly onFree: () => void) {
    this.open();
  }

  get free(): boolean {
    return this.connected && this.waiting === undefined;
  }

  get busy(): boolean {
    return this.waiting !== undefined;
  }

  send(data: string, done: Done): void {
    this.waiting = done;
    this.socket.write(`POST /api/ingest/ctwing/${PRODUCT}?token=${TOKEN} HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(data)}\r\n\r\n${data}`);
  }

  /** Drops the socket (and the push on it, as status 0) and opens a new one: a step's deadline passed. */
  reset(): void {
    this.socket.destroy();
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private open(): void {
    const socket = net.connect(Number(port), hostname);
    this.socket = socket;
    this.buf = Buffer.alloc(0);
    socket.setNoDelay(true);
    socket.once('connect', () => {
      this.connected = true;
      this.onFree();
    });
    socket.on('data', (d: Buffer) => this.read(d));
    socket.on('error', () => {});
    socket.once('close', () => {
      this.connected = false;
      this.lost++;
      this.answer(0);
      if (!this.closed) setTimeout(() => this.open(), 10);
    });
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
    this.onFree();
  }

  private answer(status: number): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.(status);
  }
}

/** Pushes due and not yet written (no connection free): first in, first out. */
const queue: { data: string; done: Done }[] = [];
let queueHead = 0;
const connections: Connection[] = Array.from({ length: CONNECTIONS }, () => new Connection(dispatch));
/** Where the next search for a free connection starts: every connection takes turns. */
let nextConnection = 0;
function dispatch(): void {
  for (let i = 0; i < connections.length && queueHead < queue.length; i++) {
    const c = connections[(nextConnection + i) % connections.length]!;
    if (!c.free) continue;
    nextConnection = (nextConnection + i + 1) % connections.length;
    const { data, done } = queue[queueHead]!;
    queue[queueHead++] = undefined!;
    c.send(data, done);
  }
  if (queueHead >= queue.length) {
    queue.length = 0;
    queueHead = 0;
  }
}
await waitFor(() => connections.every((c) => c.free), { timeoutMs: 10_000, what: 'bench connections' });

interface PushStep {
  targetRate: number;
  /** pushes the schedule made due: rate × seconds, whatever the hub did */
  offered: number;
  ok: number;
  /** answered with another status, or their connection died */
  failed: number;
  /** not answered by the step's deadline (still queued in the client or in flight) */
  unanswered: number;
  achievedRate: number;
  /** from each push's due time; unanswered pushes count with their wait up to the deadline, so a p99 with unanswered pushes is a lower bound */
  answerP50Ms: number | null;
  answerP99Ms: number | null;
  answerMaxMs: number | null;
  /** how late the client itself put pushes in its queue (its own timer lateness: a loaded or saturated client) */
  clientLagP99Ms: number | null;
  /** sockets the hub closed or that failed during the step */
  connectionsLost: number;
  durationS: number;
  hubCpuPct: number | null;
  /** the hub's CPU time per answered push: its cost whatever else the machine runs */
  hubCpuUsPerPush: number | null;
  /** the load generator's own CPU (it shares the two cores with the hub) */
  clientCpuPct: number;
  clientCpuUsPerPush: number | null;
  /** the machine's 1-minute load average as the step began: other work on the two cores makes figures noisy */
  loadAverage1m: number;
}

/**
 * Offers `rate` pushes/s for `seconds`, open-loop: push n is due at start + n/rate whatever the
 * hub answered before (a slow hub cannot slow the offer down), paced by a 2 ms tick. The answer
 * time counts from each push's due time, so waiting for a free connection or a late tick counts
 * against the answer (no coordinated omission). The step ends when every push is answered or
 * `drainS` after the last was due, whichever is first: a step the hub cannot keep up with reports
 * what it achieved and how many pushes were left unanswered, instead of waiting for them.
 */
async function step(rate: number, seconds: number, drainS = DRAIN_S): Promise<PushStep> {
  const total = Math.round(rate * seconds);
  const times = new Float64Array(total).fill(-1);
  const lags = new Float64Array(total);
  const statuses = new Map<number, number>();
  let answered = 0;
  const start = performance.now();
  const deadline = start + (seconds + drainS) * 1000;
  const cpu0 = sample(hub.child.pid!);
  const client0 = process.cpuUsage();
  const lost0 = connections.reduce((n, c) => n + c.lost, 0);
  const loadAverage1m = Math.round(os.loadavg()[0]! * 10) / 10;
  let sent = 0;
  let device = 0;
  let finish: () => void = () => {};
  const allAnswered = new Promise<void>((r) => (finish = r));
  while (sent < total && performance.now() < deadline) {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - start) / 1000) * rate) + 1);
    for (; sent < due; sent++) {
      const n = sent;
      const dueAt = start + (n / rate) * 1000;
      lags[n] = now - dueAt;
      device = (device + 1) % DEVICES;
      queue.push({
        data: body(device),
        done: (status) => {
          if (times[n]! >= 0) return;
          times[n] = performance.now() - dueAt;
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (++answered === total) finish();
        },
      });
    }
    dispatch();
    await new Promise((r) => setTimeout(r, 2));
  }
  const timedOut = Symbol('deadline');
  const left = deadline - performance.now();
  let timer: NodeJS.Timeout | undefined;
  const outcome = answered === total ? undefined : await Promise.race([allAnswered, new Promise((r) => (timer = setTimeout(() => r(timedOut), Math.max(0, left))))]);
  clearTimeout(timer);
  const end = performance.now();
  let unanswered = 0;
  if (outcome === timedOut) {
    // What the hub did not answer in time: counted with its wait so far, and dropped, so the
    // next step starts with idle connections and an empty queue.
    for (let n = 0; n < total; n++) {
      if (times[n]! >= 0) continue;
      times[n] = end - (start + (n / rate) * 1000);
      unanswered++;
    }
    queue.length = 0;
    queueHead = 0;
    for (const c of connections) if (c.busy) c.reset();
    await waitFor(() => connections.every((c) => c.free), { timeoutMs: 10_000, what: 'bench connections after a reset' });
  }
  const elapsedS = (end - start) / 1000;
  const ok = statuses.get(200) ?? 0;
  const clientCpuPct = clientPct(client0, elapsedS);
  const result: PushStep = {
    targetRate: rate,
    offered: total,
    ok,
    failed: answered - ok,
    unanswered,
    achievedRate: Math.round(ok / elapsedS),
    answerP50Ms: quantile(times, 0.5),
    answerP99Ms: quantile(times, 0.99),
    answerMaxMs: quantile(times, 1),
    clientLagP99Ms: quantile(lags.subarray(0, sent), 0.99),
    connectionsLost: connections.reduce((n, c) => n + c.lost, 0) - lost0,
    durationS: Math.round(elapsedS * 10) / 10,
    hubCpuPct: cpuPct(cpu0, sample(hub.child.pid!)),
    hubCpuUsPerPush: null,
    clientCpuPct,
    clientCpuUsPerPush: ok > 0 ? Math.round((clientCpuPct * 1e4 * elapsedS) / ok) : null,
    loadAverage1m,
  };
  if (result.hubCpuPct !== null && ok > 0) result.hubCpuUsPerPush = Math.round((result.hubCpuPct * 1e4 * elapsedS) / ok);
  if (result.failed || result.unanswered) log(`  statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${unanswered} unanswered by the deadline, ${result.connectionsLost} connections lost`);
  return result;
}

function clientPct(since: NodeJS.CpuUsage, elapsedS: number): number {
  const u = process.cpuUsage(since);
  return Math.round(((u.user + u.system) / 1e4 / elapsedS) * 10) / 10;
}

const steps: PushStep[] = [];
let stopped: string | undefined;
try {
  log(`== HTTP push ingest: CTWing dataReport → hub (${DEVICES} NB-IoT smoke detectors, ${CONNECTIONS} keep-alive connections)`);
  await step(500, 2); // warm-up: connections, JIT
  for (const rate of RATES) {
    let s: PushStep;
    try {
      s = await step(rate, STEP_S);
    } catch (err) {
      // The hub died or stopped accepting connections: report what was measured so far.
      stopped = `${rate}/s step: ${(err as Error).message}${hub.child.exitCode !== null ? ` (the hub exited with ${hub.child.exitCode})` : ''}`;
      log(`  stopping the ladder: ${stopped}`);
      break;
    }
    steps.push(s);
    log(
      `  ${rate}/s offered: ${s.achievedRate}/s answered 200 (${s.failed} failed, ${s.unanswered} unanswered) in ${s.durationS} s, answer p50 ${s.answerP50Ms} ms p99 ${s.answerP99Ms} ms max ${s.answerMaxMs} ms, ` +
        `hub CPU ${s.hubCpuPct}% (${s.hubCpuUsPerPush} µs/push), client CPU ${s.clientCpuPct}% (${s.clientCpuUsPerPush} µs/push, tick lag p99 ${s.clientLagP99Ms} ms), load ${s.loadAverage1m}`,
    );
    // Behind the offered rate: higher rates only queue longer, and cannot pass either.
    if (s.unanswered > 0 || s.achievedRate < rate * 0.5) {
      log(`  stopping the ladder: ${s.achievedRate}/s answered of ${rate}/s offered, ${s.unanswered} unanswered`);
      break;
    }
  }
} finally {
  for (const c of connections) c.close();
  await hub.kill();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
const good = steps.filter((s) => s.failed === 0 && s.unanswered === 0 && s.answerP99Ms !== null && s.answerP99Ms <= FLOOR.p99Ms && s.achievedRate >= s.targetRate * 0.97);
const top = good.at(-1);
const atFloor = steps.find((s) => s.targetRate === FLOOR.rate);
const result = {
  devices: DEVICES,
  connections: CONNECTIONS,
  stepS: STEP_S,
  maxRateWithinP99: top?.achievedRate ?? 0,
  answerP99MsAtFloorRate: atFloor?.answerP99Ms ?? null,
  hubCpuUsPerPush: atFloor?.hubCpuUsPerPush ?? steps.at(-1)?.hubCpuUsPerPush ?? null,
  clientCpuPctAtFloorRate: atFloor?.clientCpuPct ?? null,
  loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10),
  floor: FLOOR,
  pass: good.some((s) => s.targetRate >= FLOOR.rate),
  ...(stopped ? { stopped } : {}),
  steps,
};
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
process.exit(0);
