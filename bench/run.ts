import { spawn } from 'node:child_process';
import { startInflux, startMosquitto } from '../test/helpers/services.ts';
import { ingestLadder, startBenchHub, type StepResult } from './ingest.ts';
import { alertLatency, type AlertLatencyResult } from './alerts.ts';
import { hubMemory } from './memory.ts';
import { cpuPct, sample } from './procstat.ts';
import { nodeRedLadder } from './node-red.ts';
import { diskPerDeviceDay } from './disk.ts';
import { createGateway, login } from '../test/helpers/auth.ts';
import { deliveryBench } from './delivery.ts';

/**
 * `npm run bench`: the figures the issues ask for, as one JSON line on stdout and a readable
 * table on stderr. Every service is real and started here on free loopback ports.
 */
const log = (line: string) => process.stderr.write(line + '\n');
const rates = (process.env.BENCH_RATES ?? '2000,5000,10000,15000,20000').split(',').map(Number);
const stepS = Number(process.env.BENCH_STEP_S ?? 10);
const devices = Number(process.env.BENCH_DEVICES ?? 50_000);
const simulators = Number(process.env.BENCH_SIMULATORS ?? 2);

const best = (steps: StepResult[]) => steps.filter((s) => s.zeroLoss).at(-1);

/** BENCH_PARTS picks parts (e.g. `mosquitto` while tuning); all by default. */
const parts = new Set((process.env.BENCH_PARTS ?? 'mosquitto,embedded,nodered,disk,memory,dashboard,district,delivery,gb28181,push,cases').split(','));

const alertBackgrounds = (process.env.BENCH_ALERT_BACKGROUND ?? '2000,5000').split(',').map(Number);
const alertProbes = Number(process.env.BENCH_ALERT_PROBES ?? 500);

/** Waits (at most 2 minutes) until a process uses under 15% of a core over 3 s. */
async function settle(pid: number | undefined, name: string): Promise<void> {
  if (pid === undefined) return;
  const started = Date.now();
  while (Date.now() - started < 120_000) {
    const a = sample(pid);
    await new Promise((r) => setTimeout(r, 3000));
    const pct = cpuPct(a, sample(pid));
    if (pct === null || pct < 15) return;
    log(`  waiting for ${name} to settle (${pct}% CPU)`);
  }
}

async function mosquittoInflux() {
  log('== ingest: simulators → Mosquitto (config/mosquitto/hub.conf) → hub → InfluxDB 1.x');
  const [mosquitto, influx] = await Promise.all([startMosquitto(), startInflux()]);
  const hub = await startBenchHub({ MQTT_URL: mosquitto.url, INFLUX_URL: influx.url.replace(/\/hub$/, '/bench') });
  try {
    const steps = await ingestLadder({ hub, mqttUrl: mosquitto.url, brokerPid: mosquitto.pid(), databasePid: influx.pid(), rates, stepS, devices, simulators, log });
    // The ladder's last steps leave InfluxDB compacting hundreds of megabytes for a while; alert
    // latency is measured under steady background load, not under that aftermath.
    await settle(influx.pid(), 'InfluxDB');
    log('== alert latency: smoke alarm published → alert on a WebSocket client, under background telemetry');
    const latency: AlertLatencyResult[] = [];
    for (const backgroundRate of alertBackgrounds) latency.push(await alertLatency({ hub, mqttUrl: mosquitto.url, backgroundRate, probes: alertProbes, log }));
    return { steps, latency };
  } finally {
    await hub.kill('SIGTERM');
    await Promise.all([mosquitto.stop(), influx.stop()]);
  }
}

async function embedded() {
  log('== ingest: simulators → embedded aedes → hub → embedded SQLite store');
  const hub = await startBenchHub({});
  try {
    // The embedded broker authenticates every client: the simulators use a gateway credential.
    const mqttAuth = await createGateway(hub.httpUrl, await login(hub.httpUrl), 'bench-simulators');
    return await ingestLadder({ hub, mqttUrl: hub.mqttUrl, rates, stepS, devices, simulators, log, mqttAuth });
  } finally {
    await hub.kill('SIGTERM');
  }
}

const started = Date.now();
const { steps: external, latency } = parts.has('mosquitto') ? await mosquittoInflux() : { steps: [], latency: [] };
const emb = parts.has('embedded') ? await embedded() : [];
const summarize = (steps: StepResult[]) => {
  const top = best(steps);
  return {
    maxZeroLossRate: top?.achievedRate ?? 0,
    publishToStoredP50Ms: top?.publishToStoredP50Ms ?? null,
    publishToStoredP99Ms: top?.publishToStoredP99Ms ?? null,
    cpuPct: top?.cpuPct ?? null,
    rssMiB: top?.rssMiB ?? null,
    steps,
  };
};
const nodeRed = parts.has('nodered') ? await nodeRedLadder({ rates, stepS, devices, simulators, log }) : [];
const atRate = <T extends { targetRate: number }>(steps: T[], rate: number) => steps.find((st) => st.targetRate === rate);
const hubAt10k = atRate(external, 10_000)?.cpuPct.hub ?? null;
const nodeRedAt10k = atRate(nodeRed, 10_000)?.cpuPct.nodeRed ?? null;
let disk = null;
if (parts.has('disk')) {
  log('== disk per device-day: one simulated day through the hub\'s store code, rollups included');
  disk = await diskPerDeviceDay(Number(process.env.BENCH_DISK_DEVICES ?? 1000), log);
}
const memory = [];
if (parts.has('memory')) {
  log('== hub memory with registered devices');
  for (const n of (process.env.BENCH_MEMORY_DEVICES ?? '50000,200000').split(',').map(Number)) memory.push(await hubMemory(n, log));
}
/** Runs a bench script in its own process; its JSON on stdout, or an error object. */
function childBench(script: string, args: string[], summary: (r: Record<string, unknown>) => string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', () => {
      try {
        const parsed = JSON.parse(out.slice(out.indexOf('{'))) as Record<string, unknown>;
        log(`  ${summary(parsed)}`);
        resolve(parsed);
      } catch {
        resolve({ error: `${script} produced no result` });
      }
    });
  });
}
let dashboard: unknown = null;
if (parts.has('dashboard')) {
  log('== dashboard in Chromium: first render with 50,000 devices and 1,000 open alerts, new alert on screen');
  dashboard = await childBench('bench/dashboard.ts', ['--runs', '2'], (r) => `first render ${JSON.stringify(r.firstRenderMs)}; alert arrival ${JSON.stringify(r.alertArrivalMs)}`);
}
// The sub-district overview (issue 16 item 7): the simulator's 20 communities in one operator's scope.
let dashboardDistrict: unknown = null;
if (parts.has('district')) {
  log('== sub-district overview in Chromium: 20 communities (~64,000 devices), navigation → every card');
  dashboardDistrict = await childBench('bench/dashboard-district.ts', ['--runs', '3'], (r) => `cards ${JSON.stringify(r.cardsRenderedMs)}; figures ${JSON.stringify(r.figuresRenderedMs)}`);
}
// GB/T 28181 (docs/gb28181.md): 2,000 channels registered, alarm NOTIFY → WebSocket alert.
let gb28181: unknown = null;
if (parts.has('gb28181')) {
  log('== GB/T 28181: 20 NVRs × 100 channels register; alarm NOTIFY → alert on a WebSocket client');
  gb28181 = await childBench('bench/gb28181.ts', [], (r) => `${r.channels} channels registered in ${r.registerTotalMs} ms; alarm → WebSocket p50 ${r.alarmToWsP50Ms} ms, p99 ${r.alarmToWsP99Ms} ms`);
}
// HTTP push ingest (docs/platforms.md): CTWing pushes → 200 after the spool write.
let push: unknown = null;
if (parts.has('push')) {
  log('== HTTP push ingest: CTWing dataReport pushes over keep-alive connections → 200 after the spool write');
  push = await childBench('bench/push.ts', [], (r) => `max ${r.maxRateWithinP99} pushes/s within p99 50 ms; p99 at 2,000/s ${r.answerP99MsAtFloorRate} ms`);
}
// The case figures (issue 17, docs/cases.md): GET /api/stats/cases over 100,000 cases and ~1,000,000 events.
let cases: unknown = null;
if (parts.has('cases')) {
  log('== case figures: GET /api/stats/cases over 100,000 cases and ~1,000,000 case events, embedded store');
  cases = await childBench('bench/cases.ts', [], (r) => `worst p99 ${r.worstP99Ms} ms (floor ${r.floorP99Ms} ms) over ${r.cases} cases, ${r.events} events`);
}
// The city slice (issue 20, docs/scaling.md): 200 communities on three hubs and PostgreSQL, five
// SIGKILLs. About 10 minutes, so it is not in the default list: run it with BENCH_PARTS=city.
let city: unknown = null;
if (parts.has('city')) {
  log('== city slice: 200 communities (~640,000 devices) on three hubs, PostgreSQL state, failover by SIGKILL');
  city = await childBench('bench/city.ts', [], (r) => {
    const a = r.alertLatency as { p50Ms: number; p99Ms: number } | undefined;
    const f = r.failover as { medianMs: number } | undefined;
    const n = r.alarms as { lost: number; doubled: number } | undefined;
    return `alert on another hub p50 ${a?.p50Ms} ms p99 ${a?.p99Ms} ms; failover median ${f?.medianMs} ms; alarms lost ${n?.lost}, doubled ${n?.doubled}`;
  });
}
// Delivery to people (docs/delivery.md): alarm → Web Push at a local push service, and a storm.
const delivery = parts.has('delivery') ? await deliveryBench({ log }) : null;
const result = {
  bench: 'community-safety-hub',
  at: new Date().toISOString(),
  machine: { cores: (await import('node:os')).cpus().length, node: process.version },
  brokerConfig: 'config/mosquitto/hub.conf',
  devices,
  stepS,
  ingestMosquittoInflux: summarize(external),
  ingestEmbedded: summarize(emb),
  nodeRed: {
    flow: 'mqtt in (QoS 1) → function → join (500 / 1 s) → influxdb batch, same Mosquitto config',
    maxZeroLossRate: nodeRed.filter((st) => st.zeroLoss).at(-1)?.achievedRate ?? 0,
    cpuPctAt10k: nodeRedAt10k,
    steps: nodeRed,
  },
  hubCpuPctAt10k: hubAt10k,
  hubToNodeRedCpuAt10k: hubAt10k !== null && nodeRedAt10k ? Math.round((hubAt10k / nodeRedAt10k) * 100) / 100 : null,
  alertLatency: latency,
  disk,
  hubMemory: memory,
  dashboard,
  dashboardDistrict,
  delivery,
  gb28181,
  push,
  cases,
  city,
  durationS: Math.round((Date.now() - started) / 1000),
};
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(0);
