import fs from 'node:fs';
import path from 'node:path';
import { startInflux, startMosquitto } from '../test/helpers/services.ts';
import { startHubProcess, tempDataDir, type HubProcess } from '../test/helpers/hub.ts';
import { ingestLadder } from './ingest.ts';
import { alertLatency } from './alerts.ts';

/**
 * `npm run bench:profile`: a CPU profile of the bundled hub (both threads) while it carries
 * PROFILE_RATE msg/s from Mosquitto into InfluxDB for PROFILE_S seconds (or alert probes). Prints the functions
 * with the most self time, and leaves the .cpuprofile files for Chrome DevTools.
 */
const rate = Number(process.env.PROFILE_RATE ?? 10_000);
const seconds = Number(process.env.PROFILE_S ?? 15);
const top = Number(process.env.PROFILE_TOP ?? 30);
/** PROFILE_ALERTS=N profiles N alert probes under the background rate instead of an ingest step. */
const alertProbes = Number(process.env.PROFILE_ALERTS ?? 0);
const log = (line: string) => process.stderr.write(line + '\n');

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** --cpu-prof covers worker threads too: each thread writes its own file on exit. */
function startProfiledHub(env: Record<string, string>, profileDir: string): Promise<HubProcess> {
  return startHubProcess({ LOG_LEVEL: 'warn', ...env }, { bundled: true, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] });
}

/** Self time per function, summed over every profile file (main thread and workers). */
function summarize(files: string[]): { totalMs: number; rows: { fn: string; ms: number; pct: number }[] } {
  const self = new Map<string, number>();
  let totalMs = 0;
  for (const file of files) {
    const p = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    p.samples.forEach((id, i) => {
      const node = byId.get(id)!;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === '(idle)') return;
      const where = url ? `${path.basename(url)}:${lineNumber + 1}` : '';
      const key = `${functionName || '(anonymous)'} ${where}`.trim();
      const ms = (p.timeDeltas[i] ?? 0) / 1000;
      totalMs += ms;
      self.set(key, (self.get(key) ?? 0) + ms);
    });
  }
  const rows = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, ms]) => ({ fn, ms: Math.round(ms), pct: Math.round((ms / totalMs) * 1000) / 10 }));
  return { totalMs: Math.round(totalMs), rows };
}

const profileDir = fs.mkdtempSync(path.join(tempDataDir('cpuprof'), 'p-'));
const [mosquitto, influx] = await Promise.all([startMosquitto(), startInflux()]);
const hub = await startProfiledHub({ MQTT_URL: mosquitto.url, INFLUX_URL: influx.url.replace(/\/hub$/, '/bench') }, profileDir);
try {
  if (alertProbes > 0) {
    log(`== profiling the hub during ${alertProbes} alert probes at ${rate} msg/s background`);
    await alertLatency({ hub, mqttUrl: mosquitto.url, backgroundRate: rate, probes: alertProbes, log });
  } else {
    log(`== profiling the hub at ${rate} msg/s for ${seconds} s (Mosquitto → hub → InfluxDB)`);
    await ingestLadder({ hub, mqttUrl: mosquitto.url, brokerPid: mosquitto.pid(), databasePid: influx.pid(), rates: [rate], stepS: seconds, devices: 50_000, simulators: 2, log });
  }
} finally {
  await hub.kill('SIGTERM');
  await Promise.all([mosquitto.stop(), influx.stop()]);
}
const files = fs.readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(profileDir, f));
const { totalMs, rows } = summarize(files);
log(`== self time, all threads (${files.length} profiles, ${totalMs} ms sampled, idle excluded)`);
for (const r of rows) log(`${String(r.ms).padStart(7)} ms ${String(r.pct).padStart(5)}%  ${r.fn}`);
log(`profiles: ${profileDir}`);
process.stdout.write(JSON.stringify({ rate, seconds, totalMs, top: rows, profiles: files }) + '\n');
process.exit(0);
