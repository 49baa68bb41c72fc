import mqtt from 'mqtt';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFleet } from '../../simulators/src/fleet.ts';
import { runSimulation } from '../../simulators/src/run.ts';
import { InfluxTelemetryStore } from '../../server/src/store/influx.ts';
import type { Hub } from '../../server/src/hub.ts';
import { influxPointCount } from '../helpers/influx-count.ts';
import { waitFor } from '../helpers/ports.ts';
import { useMosquittoAndInflux } from '../helpers/real-services.ts';
import { verifyStored } from '../helpers/traffic.ts';
import { login } from '../helpers/auth.ts';

/** Fault tests at test scale; `npm run bench:faults` runs the same at bench scale (FAULT_SCALE, FAULT_OUTAGE_S). */
const SCALE = Number(process.env.FAULT_SCALE ?? 1);
const OUTAGE_S = Number(process.env.FAULT_OUTAGE_S ?? 5);
const report: Record<string, unknown> = { scale: SCALE, outageS: OUTAGE_S };
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

describe('faults: nothing acknowledged is lost', () => {
  const env = useMosquittoAndInflux();
  afterAll(() => {
    if (process.env.FAULT_REPORT) process.stdout.write(`FAULTS ${JSON.stringify(report)}\n`);
  });

  it('Mosquitto killed with SIGKILL and restarted mid-run: everything delivered is stored once; loss bounded by the broker\'s own persistence window', async () => {
    const hub = await env.hub('brokerkill');
    const rate = 500 * SCALE;
    const fleet = buildFleet({ devices: 100, seed: 11, idPrefix: 'bk' });
    const run = runSimulation({ mqttUrl: env.mosquitto.url, devices: fleet, rate, qos: 1, count: 4000 * SCALE, record: true, connections: 2 });
    await waitFor(async () => (await influxPointCount(env.influx, 'brokerkill')) > 800 || undefined, { what: 'first points' });
    await env.mosquitto.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    await env.mosquitto.start();
    const summary = await run;
    expect(summary.acked).toBe(4000 * SCALE);
    // Wait until the count settles: the spool and the broker's redeliveries have all landed.
    let stored = -1;
    await waitFor(async () => {
      const n = await influxPointCount(env.influx, 'brokerkill');
      const settled = n === stored;
      stored = n;
      return settled && hub.journal.pendingBytes() === 0 ? true : undefined;
    }, { what: 'the stored count to settle', timeoutMs: 60_000 * SCALE, intervalMs: 3000 });
    const missing = await verifyStored(new InfluxTelemetryStore(env.influxUrl('brokerkill')), summary.messages!);
    // Whatever is stored is intact (verifyStored reports wrong values too, never only "missing").
    expect(missing.filter((m) => !m.endsWith('missing'))).toEqual([]);
    // Mosquitto acknowledges a publish before it persists it (autosave every second,
    // config/mosquitto/hub.conf), so a crash of the broker itself may lose what it had accepted
    // in its last second and not yet delivered. Everything the hub received is stored; the
    // broker's loss stays within that window (docs/durability.md).
    // Its window is the autosave second plus whatever it had accepted and not yet delivered at
    // the kill; on a loaded 2-core CI run that reached about 2 s. Bounded at 3 s of traffic here;
    // `npm run bench:faults` reports the figure (0 in the runs so far).
    report.brokerKill = { acked: summary.acked, stored, lostByBroker: missing.length, windowMessages: rate };
    expect(missing.length).toBeLessThanOrEqual(3 * rate);
  });

  it('spool budget exhausted while InfluxDB is down: backpressure, then everything stored once it returns', async () => {
    const hub = await env.hub('spoolfull', { spoolMaxBytes: 1024 * 1024 });
    await env.influx.stop();
    // Devices at 30 msg/s each, under the per-device budget (50/s) at every scale.
    const fleet = buildFleet({ devices: 100 * SCALE, seed: 12, idPrefix: 'sf' });
    // ~15,000 messages of ~250 bytes spooled are well over the 1 MiB budget.
    const summary = await runSimulation({ mqttUrl: env.mosquitto.url, devices: fleet, rate: 3000 * SCALE, qos: 1, count: 15_000 * SCALE, record: true, connections: 2 });
    expect(summary.acked).toBe(15_000 * SCALE); // the broker took them all; the hub holds back instead of dropping
    const health = (await (await fetch(`${hub.httpUrl}/healthz`)).json()) as { spool: { full: boolean } };
    expect(health.spool.full).toBe(true);
    expect(hub.journal.pendingBytes()).toBeLessThan(1024 * 1024 + 64 * 1024);
    await env.influx.start();
    await waitFor(async () => {
      // A rejection (e.g. over a device's rate budget) would never be stored: say so instead of timing out.
      if (hub.rejects.total() > 0) throw new Error(`the hub rejected ${hub.rejects.total()} messages during the replay`);
      return (await influxPointCount(env.influx, 'spoolfull')) === 15_000 * SCALE || undefined;
    }, { what: 'every point after backpressure', timeoutMs: 90_000 * SCALE });
    report.spoolFull = { acked: summary.acked, stored: await influxPointCount(env.influx, 'spoolfull'), spoolBudgetBytes: 1024 * 1024 };
    expect(await verifyStored(new InfluxTelemetryStore(env.influxUrl('spoolfull')), summary.messages!)).toEqual([]);
  });

  it('alerts go first: InfluxDB down under load, alarms still reach the WebSocket, and nothing is lost', async () => {
    const hub = await env.hub('alertsfirst');
    const ws = new WebSocket(`${hub.httpUrl.replace('http', 'ws')}/ws`, { headers: await wsHeaders(hub) });
    const arrived = new Map<string, number>();
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { type: string; alert?: { deviceId: string } };
      if (m.type === 'alert' && m.alert && !arrived.has(m.alert.deviceId)) arrived.set(m.alert.deviceId, performance.now());
    });
    await new Promise((r) => ws.once('open', r));
    await env.influx.stop();
    const rate = 1000 * SCALE;
    const background = runSimulation({ mqttUrl: env.mosquitto.url, devices: buildFleet({ devices: 200, seed: 13, idPrefix: 'af' }), rate, qos: 1, count: rate * OUTAGE_S, connections: 2, record: true });
    const probe = await mqtt.connectAsync(env.mosquitto.url, { clientId: 'alarm-probe' });
    const latencies: number[] = [];
    const probes = Math.max(10, OUTAGE_S * 2);
    for (let i = 0; i < probes; i++) {
      const id = `af-alarm-${i}`;
      const t = performance.now();
      await probe.publishAsync(`community/c1/smoke/${id}/event`, JSON.stringify({ type: 'alarm' }), { qos: 1 });
      const at = await waitFor(() => arrived.get(id), { what: `alert for ${id}`, timeoutMs: 10_000, intervalMs: 1 });
      latencies.push(at - t);
      await new Promise((r) => setTimeout(r, 400));
    }
    const summary = await background;
    await probe.endAsync();
    ws.close();
    expect(latencies).toHaveLength(probes);
    expect((await fetch(`${hub.httpUrl}/healthz`)).status).toBe(503); // the store is still down
    await env.influx.start();
    // Every background message, plus the alarm probes' own events.
    await waitFor(async () => (await influxPointCount(env.influx, 'alertsfirst')) === summary.sent + probes || undefined, { what: 'every point after the outage', timeoutMs: 90_000 * SCALE });
    expect(await verifyStored(new InfluxTelemetryStore(env.influxUrl('alertsfirst')), summary.messages!)).toEqual([]);
    report.influxOutage = {
      backgroundRate: rate,
      acked: summary.acked,
      stored: (await influxPointCount(env.influx, 'alertsfirst')) - probes,
      alertLatencyDuringOutageMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: Math.max(...latencies) },
    };
  }, 180_000 * SCALE);
});

/** Headers that let the WebSocket through whatever authentication the hub has. */
async function wsHeaders(hub: Hub): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await login(hub.httpUrl)}` };
}
