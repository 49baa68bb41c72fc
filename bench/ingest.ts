import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { startHubProcess, type HubProcess } from '../test/helpers/hub.ts';
import { waitFor } from '../test/helpers/ports.ts';
import type { Service } from '../test/helpers/services.ts';
import { quantileMs, readHistogram } from './histogram.ts';
import { cpuPct, sample } from './procstat.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');

export interface StepResult extends LossFigures {
  publishToStoredP50Ms: number | null;
  publishToStoredP99Ms: number | null;
  /** From receipt at the hub to stored: separates queueing in the broker from the hub's own backlog. */
  receiveToStoredP50Ms: number | null;
  storeWriteP50Ms: number | null;
  meanBatch: number | null;
  cpuPct: { hub: number | null; broker: number | null; database: number | null };
  rssMiB: { hub: number | null; broker: number | null; database: number | null };
}

async function metricsText(hub: HubProcess): Promise<string> {
  return (await fetch(`${hub.httpUrl}/metrics`)).text();
}

function counter(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\d+(?:\\.\\d+)?(?:e\\+\\d+)?)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** Runs the simulator CLI as its own process (so its CPU is not counted as the hub's). */
export function simulate(args: string[], { nice = 0 } = {}): Promise<{ sent: number; acked: number; errors: number; ratePerS: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'simulators/src/cli.ts'), ...args, '--quiet'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (nice !== 0) os.setPriority(child.pid!, nice);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', () => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!));
      } catch {
        reject(new Error(`simulator gave no summary: ${out}`));
      }
    });
  });
}

export interface LossFigures {
  targetRate: number;
  achievedRate: number;
  sent: number;
  acked: number;
  stored: number;
  lost: number;
  zeroLoss: boolean;
}

/** A step passes when the broker acknowledged every message, all are stored, and the pace held (95%). */
export function lossFigures(rate: number, sims: { sent: number; acked: number; ratePerS: number }[], stored: number): LossFigures {
  const sent = sims.reduce((a, s) => a + s.sent, 0);
  const acked = sims.reduce((a, s) => a + s.acked, 0);
  const achievedRate = Math.round(sims.reduce((a, s) => a + s.ratePerS, 0));
  return { targetRate: rate, achievedRate, sent, acked, stored, lost: Math.max(0, acked - stored), zeroLoss: acked === sent && stored >= sent && achievedRate >= rate * 0.95 };
}

export interface LadderOptions {
  hub: HubProcess;
  mqttUrl: string;
  brokerPid?: number;
  databasePid?: number;
  rates: number[];
  stepS: number;
  devices: number;
  simulators: number;
  /** A gateway credential, for brokers that authenticate (the embedded one). */
  mqttAuth?: { username: string; password: string };
  log: (line: string) => void;
}

/** Paced steps of rising rate; each step reports loss, latency and CPU/RSS of every part. */
export async function ingestLadder(o: LadderOptions): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const hubPid = o.hub.child.pid!;
  for (const rate of o.rates) {
    const m0 = await metricsText(o.hub);
    const stored0 = counter(m0, 'hub_points_stored_total');
    const h0 = readHistogram(m0, 'hub_device_to_stored_seconds');
    const r0 = readHistogram(m0, 'hub_ingest_to_stored_seconds');
    const w0 = readHistogram(m0, 'hub_store_write_seconds');
    const batches0 = counter(m0, 'hub_store_batch_size_count');
    const s0 = { hub: sample(hubPid), broker: o.brokerPid ? sample(o.brokerPid) : undefined, db: o.databasePid ? sample(o.databasePid) : undefined };
    const perSim = Math.ceil(rate / o.simulators);
    const count = perSim * o.stepS;
    const sims = await Promise.all(
      Array.from({ length: o.simulators }, (_, i) =>
        simulate([
          '--mqtt', o.mqttUrl, '--devices', String(Math.ceil(o.devices / o.simulators)), '--rate', String(perSim),
          '--count', String(count), '--qos', '1', '--connections', '4', '--seed', String(i + 1), '--skip-status',
          // Distinct ids per simulator process keep (device, ts, seq) unique.
          '--prefix', `b${i}`, '--communities', '20',
          ...(o.mqttAuth ? ['--username', o.mqttAuth.username, '--password', o.mqttAuth.password] : []),
        ]).then((r) => r),
      ),
    );
    const simEnd = performance.now();
    const sent = sims.reduce((a, s) => a + s.sent, 0);
    let stored = 0;
    try {
      await waitFor(async () => {
        stored = counter(await metricsText(o.hub), 'hub_points_stored_total') - stored0;
        return stored >= sent || undefined;
      }, { timeoutMs: 60_000, intervalMs: 200, what: 'stored' });
    } catch {
      /* reported as loss */
    }
    // CPU is taken once everything is stored (the tail of the work counts) and spread over the
    // publishing time: the share of a core each part needs to carry this rate.
    const s1 = { hub: sample(hubPid), broker: o.brokerPid ? sample(o.brokerPid) : undefined, db: o.databasePid ? sample(o.databasePid) : undefined };
    for (const x of [s1.hub, s1.broker, s1.db]) if (x) x.at = simEnd;
    const m1 = await metricsText(o.hub);
    const h1 = readHistogram(m1, 'hub_device_to_stored_seconds');
    const batches = counter(m1, 'hub_store_batch_size_count') - batches0;
    const r: StepResult = {
      ...lossFigures(rate, sims, stored),
      publishToStoredP50Ms: quantileMs(h0, h1, 0.5),
      publishToStoredP99Ms: quantileMs(h0, h1, 0.99),
      receiveToStoredP50Ms: quantileMs(r0, readHistogram(m1, 'hub_ingest_to_stored_seconds'), 0.5),
      storeWriteP50Ms: quantileMs(w0, readHistogram(m1, 'hub_store_write_seconds'), 0.5),
      meanBatch: batches > 0 ? Math.round(stored / batches) : null,
      cpuPct: { hub: cpuPct(s0.hub, s1.hub), broker: cpuPct(s0.broker, s1.broker), database: cpuPct(s0.db, s1.db) },
      rssMiB: {
        hub: s1.hub ? Math.round(s1.hub.rssMiB) : null,
        broker: s1.broker ? Math.round(s1.broker.rssMiB) : null,
        database: s1.db ? Math.round(s1.db.rssMiB) : null,
      },
    };
    results.push(r);
    o.log(
      `  ${String(rate).padStart(6)} msg/s target  ${String(r.achievedRate).padStart(6)} achieved  sent ${sent} stored ${stored} lost ${r.lost}  ` +
        `p50 ${r.publishToStoredP50Ms} ms p99 ${r.publishToStoredP99Ms} ms (hub part p50 ${r.receiveToStoredP50Ms} ms, write p50 ${r.storeWriteP50Ms} ms, batch ${r.meanBatch})  CPU hub ${r.cpuPct.hub}% broker ${r.cpuPct.broker}% db ${r.cpuPct.database}%  RSS hub ${r.rssMiB.hub} MiB`,
    );
    if (!r.zeroLoss) break;
  }
  return results;
}

/** The hub as `npm start` runs it (the bundle `npm run prebench` builds). */
export async function startBenchHub(env: Record<string, string>): Promise<HubProcess> {
  const hub = await startHubProcess({ LOG_LEVEL: 'warn', ...env }, { bundled: true });
  const nice = Number(process.env.BENCH_HUB_NICE ?? 0);
  if (nice !== 0) os.setPriority(hub.child.pid!, nice);
  return hub;
}

export type { Service };
