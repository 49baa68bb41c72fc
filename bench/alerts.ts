import mqtt from 'mqtt';
import WebSocket from 'ws';
import type { HubProcess } from '../test/helpers/hub.ts';
import { simulate } from './ingest.ts';
import { cpuPct, sample } from './procstat.ts';
import { login } from '../test/helpers/auth.ts';

export interface AlertLatencyResult {
  backgroundRate: number;
  backgroundAchieved: number;
  probes: number;
  received: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  hubCpuPct: number | null;
  /** The hub's garbage collection while probing: pauses by kind (count, total ms), and the event loop's worst delay. */
  hubGc: Record<string, { count: number; totalMs: number }>;
  eventLoopLagMaxMs: number | null;
}

const metricsOf = async (hub: HubProcess) => (await fetch(`${hub.httpUrl}/metrics`)).text();

function gcTotals(text: string): Record<string, { count: number; sumS: number }> {
  const out: Record<string, { count: number; sumS: number }> = {};
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_(sum|count)\{kind="(\w+)"\} ([\d.e+-]+)$/gm)) {
    const k = (out[m[2]!] ??= { count: 0, sumS: 0 });
    if (m[1] === 'sum') k.sumS = Number(m[3]);
    else k.count = Number(m[3]);
  }
  return out;
}

const PROBE_INTERVAL_MS = 100;

const quantile = (sorted: number[], q: number) => (sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 100) / 100 : null);

/**
 * Device publishes a smoke alarm → the alert arrives on a WebSocket client, timed on one clock
 * (publisher and WebSocket client live in this process), under paced background telemetry.
 */
export async function alertLatency(o: {
  hub: HubProcess;
  mqttUrl: string;
  mqttAuth?: { username: string; password: string };
  backgroundRate: number;
  probes: number;
  log: (l: string) => void;
}): Promise<AlertLatencyResult> {
  const ws = new WebSocket(`${o.hub.httpUrl.replace('http', 'ws')}/ws`, { headers: { authorization: `Bearer ${await login(o.hub.httpUrl)}` } });
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as { type: string; alert?: { deviceId: string; count: number } };
    if (msg.type !== 'alert' || !msg.alert || msg.alert.count !== 1) return;
    const t = sentAt.get(msg.alert.deviceId);
    if (t !== undefined) {
      latencies.push(performance.now() - t);
      sentAt.delete(msg.alert.deviceId);
    }
  });
  const probe = await mqtt.connectAsync(o.mqttUrl, { clientId: `alert-probe-${process.pid}`, ...(o.mqttAuth ?? {}) });
  const background = simulate([
    '--mqtt', o.mqttUrl, '--devices', '50000', '--rate', String(o.backgroundRate), '--duration', String(Math.ceil((o.probes * PROBE_INTERVAL_MS) / 1000) + 6),
    '--qos', '1', '--connections', '4', '--skip-status', '--prefix', `bg${o.backgroundRate}`, '--communities', '20',
    ...(o.mqttAuth ? ['--username', o.mqttAuth.username, '--password', o.mqttAuth.password] : []),
    // The simulated devices stand for hardware outside this machine: they yield the CPU to the system measured.
  ], { nice: 10 });
  const s0 = sample(o.hub.child.pid!);
  const gc0 = gcTotals(await metricsOf(o.hub));
  await new Promise((r) => setTimeout(r, 3000)); // let the background reach its pace
  const run = `${Date.now().toString(36)}`;
  for (let i = 0; i < o.probes; i++) {
    const deviceId = `probe-${run}-${i}`;
    sentAt.set(deviceId, performance.now());
    probe.publish(`community/c1/smoke/${deviceId}/event`, JSON.stringify({ type: 'alarm', ts: Date.now(), seq: 1 }), { qos: 1 });
    await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS));
  }
  await new Promise((r) => setTimeout(r, 2000));
  const s1 = sample(o.hub.child.pid!);
  const m1 = await metricsOf(o.hub);
  const gc1 = gcTotals(m1);
  const lag = /^nodejs_eventloop_lag_max_seconds ([\d.e+-]+)$/m.exec(m1);
  const bg = await background;
  await probe.endAsync();
  ws.close();
  const sorted = [...latencies].sort((a, b) => a - b);
  const result: AlertLatencyResult = {
    backgroundRate: o.backgroundRate,
    backgroundAchieved: Math.round(bg.ratePerS),
    probes: o.probes,
    received: latencies.length,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted.length ? Math.round(sorted.at(-1)! * 100) / 100 : null,
    hubCpuPct: cpuPct(s0, s1),
    hubGc: Object.fromEntries(
      Object.entries(gc1).map(([kind, v]) => [kind, { count: v.count - (gc0[kind]?.count ?? 0), totalMs: Math.round((v.sumS - (gc0[kind]?.sumS ?? 0)) * 1000) }]),
    ),
    eventLoopLagMaxMs: lag ? Math.round(Number(lag[1]) * 1000) : null,
  };
  o.log(`  alert latency at ${o.backgroundRate} msg/s background: p50 ${result.p50Ms} ms p99 ${result.p99Ms} ms max ${result.maxMs} ms (${result.received}/${result.probes} received); hub GC ${JSON.stringify(result.hubGc)}`);
  return result;
}
