import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startInflux, startMosquitto, type Service } from '../test/helpers/services.ts';
import { freePort, waitFor } from '../test/helpers/ports.ts';
import { influxPointCount } from '../test/helpers/influx-count.ts';
import { lossFigures, simulate, type LossFigures } from './ingest.ts';
import { cpuPct, sample } from './procstat.ts';

/**
 * The comparison the district-scale issue asks for: a plain Node-RED flow carrying the same
 * simulated telemetry from the same Mosquitto (config/mosquitto/hub.conf) into InfluxDB 1.x.
 *
 * Flow: mqtt in (QoS 1, JSON) → function (topic → tags, body → fields, as the hub stores them) → join (500 messages or
 * 1 s) → influxdb batch (node-red-contrib-influxdb). Node-RED 4 (5 needs Node 22) is installed
 * on first use into .cache/node-red; nothing of it is part of the hub.
 */
const repoRoot = path.resolve(import.meta.dirname, '..');
const cacheDir = path.join(repoRoot, '.cache', 'node-red');
const NODE_RED = 'node-red@4.1.8';
const INFLUX_NODES = 'node-red-contrib-influxdb@0.7.0';

export interface NodeRedStep extends LossFigures {
  drainS: number;
  cpuPct: { nodeRed: number | null; broker: number | null; database: number | null };
  rssMiB: number | null;
}

function ensureInstalled(log: (l: string) => void): string {
  const redJs = path.join(cacheDir, 'node_modules', 'node-red', 'red.js');
  if (fs.existsSync(redJs) && fs.existsSync(path.join(cacheDir, 'node_modules', 'node-red-contrib-influxdb'))) return redJs;
  log(`  installing ${NODE_RED} and ${INFLUX_NODES} into ${path.relative(repoRoot, cacheDir)} (first run only, about a minute)`);
  fs.mkdirSync(cacheDir, { recursive: true });
  if (!fs.existsSync(path.join(cacheDir, 'package.json'))) fs.writeFileSync(path.join(cacheDir, 'package.json'), '{"name":"bench-node-red","private":true}\n');
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', NODE_RED, INFLUX_NODES], { cwd: cacheDir, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`npm install of Node-RED failed (exit ${r.status})`);
  return redJs;
}

function flow(mqttPort: number, influxPort: number, database: string): unknown[] {
  return [
    { id: 'tab', type: 'tab', label: 'bench' },
    { id: 'broker', type: 'mqtt-broker', name: 'mosquitto', broker: '127.0.0.1', port: String(mqttPort), clientid: 'node-red-bench', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '30', cleansession: false },
    { id: 'in', type: 'mqtt in', z: 'tab', name: 'telemetry', topic: 'community/+/+/+/+', qos: '1', datatype: 'json', broker: 'broker', nl: false, rap: false, inputs: 0, x: 100, y: 100, wires: [['fn']] },
    {
      id: 'fn',
      type: 'function',
      z: 'tab',
      name: 'to point',
      func: [
        "const [, community, kind, device, channel] = msg.topic.split('/');",
        "if (channel !== 'telemetry' && channel !== 'event') return null;",
        'const { ts, seq, type, ...fields } = msg.payload;',
        'fields.seq = seq ?? -1;',
        'const tags = { community, device, kind };',
        "if (channel === 'event') tags.type = type;",
        "msg.payload = { measurement: channel === 'event' ? 'events' : kind, tags, fields, timestamp: new Date(ts) };",
        'return msg;',
      ].join('\n'),
      outputs: 1,
      x: 300,
      y: 100,
      wires: [['join']],
    },
    { id: 'join', type: 'join', z: 'tab', name: 'batch', mode: 'custom', build: 'array', property: 'payload', propertyType: 'msg', key: 'topic', joiner: '\\n', joinerType: 'str', accumulate: false, timeout: '1', count: '500', reduceRight: false, x: 500, y: 100, wires: [['out']] },
    { id: 'influx-conn', type: 'influxdb', hostname: '127.0.0.1', port: String(influxPort), protocol: 'http', database, name: 'influx', usetls: false, influxdbVersion: '1.x' },
    { id: 'out', type: 'influxdb batch', z: 'tab', influxdb: 'influx-conn', precision: 'ms', retentionPolicy: '', name: 'write', database: '', x: 700, y: 100, wires: [] },
  ];
}

async function startNodeRed(redJs: string, mosquitto: Service, influx: Service, database: string): Promise<{ child: ChildProcess; stop: () => Promise<void> }> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'csh-node-red-'));
  const flowFile = path.join(work, 'flows.json');
  fs.writeFileSync(flowFile, JSON.stringify(flow(mosquitto.port, influx.port, database)));
  const port = await freePort();
  fs.writeFileSync(
    path.join(work, 'settings.js'),
    `module.exports = { uiPort: ${port}, uiHost: '127.0.0.1', flowFile: ${JSON.stringify(flowFile)}, userDir: ${JSON.stringify(cacheDir)}, credentialSecret: false, logging: { console: { level: process.env.NODE_RED_LOG ?? 'warn' } }, editorTheme: { tours: false } };\n`,
  );
  await fetch(`http://127.0.0.1:${influx.port}/query?q=${encodeURIComponent(`CREATE DATABASE ${database}`)}`, { method: 'POST' });
  const child = spawn(process.execPath, [redJs, '--settings', path.join(work, 'settings.js'), '--userDir', cacheDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout!.pipe(process.stderr);
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error('Node-RED exited at start');
    return (await fetch(`http://127.0.0.1:${port}/flows`).catch(() => undefined))?.ok;
  }, { timeoutMs: 60_000, what: 'Node-RED' });
  // The mqtt in node subscribes once its broker connection is up.
  await new Promise((r) => setTimeout(r, 2000));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, stop: async () => (child.kill('SIGTERM'), await exited) };
}

/** Node-RED's ladder: the same paced simulators as the hub's, stopping at the first step with loss. */
export async function nodeRedLadder(o: { rates: number[]; stepS: number; devices: number; simulators: number; log: (l: string) => void }): Promise<NodeRedStep[]> {
  o.log('== Node-RED comparison: simulators → Mosquitto (same config) → Node-RED flow → InfluxDB 1.x');
  const redJs = ensureInstalled(o.log);
  const [mosquitto, influx] = await Promise.all([startMosquitto(), startInflux()]);
  const database = 'nodered';
  const red = await startNodeRed(redJs, mosquitto, influx, database);
  const steps: NodeRedStep[] = [];
  try {
    let storedBefore = 0;
    for (const rate of o.rates) {
      const pids = { red: red.child.pid!, broker: mosquitto.pid()!, db: influx.pid()! };
      const s0 = { red: sample(pids.red), broker: sample(pids.broker), db: sample(pids.db) };
      const perSim = Math.ceil(rate / o.simulators);
      const sims = await Promise.all(
        Array.from({ length: o.simulators }, (_, i) =>
          simulate(['--mqtt', mosquitto.url, '--devices', String(Math.ceil(o.devices / o.simulators)), '--rate', String(perSim), '--count', String(perSim * o.stepS), '--qos', '1', '--connections', '4', '--seed', String(i + 1), '--skip-status', '--prefix', `nr${i}`, '--communities', '20']),
        ),
      );
      const simEnd = performance.now();
      const sent = sims.reduce((a, s) => a + s.sent, 0);
      let stored = 0;
      let last = -1;
      let stableSince = performance.now();
      // Done when everything is in, or nothing more arrived for 10 s (Node-RED fell behind for good).
      while (performance.now() - simEnd < 120_000) {
        stored = (await influxPointCount(influx, database)) - storedBefore;
        if (stored >= sent) break;
        if (stored !== last) (last = stored), (stableSince = performance.now());
        else if (performance.now() - stableSince > 10_000) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      const drainS = Math.round((performance.now() - simEnd) / 100) / 10;
      const s1 = { red: sample(pids.red), broker: sample(pids.broker), db: sample(pids.db) };
      for (const x of [s1.red, s1.broker, s1.db]) if (x) x.at = simEnd;
      storedBefore += stored;
      const step: NodeRedStep = {
        ...lossFigures(rate, sims, stored),
        drainS,
        cpuPct: { nodeRed: cpuPct(s0.red, s1.red), broker: cpuPct(s0.broker, s1.broker), database: cpuPct(s0.db, s1.db) },
        rssMiB: s1.red ? Math.round(s1.red.rssMiB) : null,
      };
      steps.push(step);
      o.log(
        `  ${String(rate).padStart(6)} msg/s target  ${String(step.achievedRate).padStart(6)} achieved  sent ${sent} stored ${stored} lost ${step.lost}  drained ${drainS} s after publishing  CPU node-red ${step.cpuPct.nodeRed}% broker ${step.cpuPct.broker}% db ${step.cpuPct.database}%  RSS node-red ${step.rssMiB} MiB`,
      );
      if (!step.zeroLoss) break;
    }
  } finally {
    await red.stop();
    await Promise.all([mosquitto.stop(), influx.stop()]);
  }
  return steps;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const steps = await nodeRedLadder({
    rates: (process.env.BENCH_RATES ?? '5000,10000,15000,20000').split(',').map(Number),
    stepS: Number(process.env.BENCH_STEP_S ?? 10),
    devices: Number(process.env.BENCH_DEVICES ?? 50_000),
    simulators: Number(process.env.BENCH_SIMULATORS ?? 2),
    log: (l) => process.stderr.write(l + '\n'),
  });
  process.stdout.write(JSON.stringify({ nodeRed: steps }) + '\n');
  process.exit(0);
}
