import mqtt from 'mqtt';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFleet } from '../../simulators/src/fleet.ts';
import { runSimulation } from '../../simulators/src/run.ts';
import { InfluxTelemetryStore } from '../../server/src/store/influx.ts';
import type { Hub } from '../../server/src/hub.ts';
import { startHub } from '../helpers/hub.ts';
import { influxPointCount } from '../helpers/influx-count.ts';
import { waitFor } from '../helpers/ports.ts';
import { startInflux, startMosquitto, type Service } from '../helpers/services.ts';
import { verifyStored } from '../helpers/traffic.ts';

/** Fault tests at test scale; `npm run bench:faults` runs the same at bench scale. */
describe('faults: nothing acknowledged is lost', () => {
  let mosquitto: Service;
  let influx: Service;
  const hubs: Hub[] = [];
  beforeAll(async () => {
    [mosquitto, influx] = await Promise.all([startMosquitto(), startInflux()]);
  });
  afterAll(async () => {
    for (const hub of hubs) await hub.stop().catch(() => {});
    await Promise.all([mosquitto?.stop(), influx?.stop()]);
  });
  const influxUrl = (db: string) => `http://127.0.0.1:${influx.port}/${db}`;

  it('Mosquitto killed with SIGKILL and restarted mid-run: every message the broker acknowledged is stored once', async () => {
    const hub = await startHub({ mqttUrl: mosquitto.url, influxUrl: influxUrl('brokerkill'), mqttClientId: 'hub-brokerkill' });
    hubs.push(hub);
    const fleet = buildFleet({ devices: 100, seed: 11, idPrefix: 'bk' });
    const run = runSimulation({ mqttUrl: mosquitto.url, devices: fleet, rate: 500, qos: 1, count: 4000, record: true, connections: 2 });
    await waitFor(async () => (await influxPointCount(influx, 'brokerkill')) > 800 || undefined, { what: 'first points' });
    await mosquitto.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    await mosquitto.start();
    const summary = await run;
    expect(summary.acked).toBe(4000);
    await waitFor(async () => (await influxPointCount(influx, 'brokerkill')) === 4000 || undefined, { what: '4000 points', timeoutMs: 60_000 });
    expect(await verifyStored(new InfluxTelemetryStore(influxUrl('brokerkill')), summary.messages!)).toEqual([]);
  });

  it('spool budget exhausted while InfluxDB is down: backpressure, then everything stored once it returns', async () => {
    const hub = await startHub({ mqttUrl: mosquitto.url, influxUrl: influxUrl('spoolfull'), mqttClientId: 'hub-spoolfull', spoolMaxBytes: 1024 * 1024 });
    hubs.push(hub);
    await influx.stop();
    const fleet = buildFleet({ devices: 100, seed: 12, idPrefix: 'sf' });
    // ~15,000 messages of ~250 bytes spooled are well over the 1 MiB budget.
    const summary = await runSimulation({ mqttUrl: mosquitto.url, devices: fleet, rate: 3000, qos: 1, count: 15_000, record: true, connections: 2 });
    expect(summary.acked).toBe(15_000); // the broker took them all; the hub holds back instead of dropping
    const health = (await (await fetch(`${hub.httpUrl}/healthz`)).json()) as { spool: { full: boolean } };
    expect(health.spool.full).toBe(true);
    expect(hub.journal.pendingBytes()).toBeLessThan(1024 * 1024 + 64 * 1024);
    await influx.start();
    await waitFor(async () => (await influxPointCount(influx, 'spoolfull')) === 15_000 || undefined, { what: '15000 points after backpressure', timeoutMs: 90_000 });
    expect(await verifyStored(new InfluxTelemetryStore(influxUrl('spoolfull')), summary.messages!)).toEqual([]);
  });

  it('alerts go first: a smoke alarm reaches the WebSocket while InfluxDB is down', async () => {
    const hub = await startHub({ mqttUrl: mosquitto.url, influxUrl: influxUrl('alertsfirst'), mqttClientId: 'hub-alertsfirst' });
    hubs.push(hub);
    await influx.stop();
    const ws = new WebSocket(`${hub.httpUrl.replace('http', 'ws')}/ws`);
    const arrived = new Map<string, number>();
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { type: string; alert?: { deviceId: string } };
      if (m.type === 'alert' && m.alert && !arrived.has(m.alert.deviceId)) arrived.set(m.alert.deviceId, performance.now());
    });
    await new Promise((r) => ws.once('open', r));
    const background = runSimulation({ mqttUrl: mosquitto.url, devices: buildFleet({ devices: 100, seed: 13, idPrefix: 'af' }), rate: 1000, qos: 1, count: 5000, connections: 2 });
    const probe = await mqtt.connectAsync(mosquitto.url, { clientId: 'alarm-probe' });
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const id = `af-alarm-${i}`;
      const t = performance.now();
      await probe.publishAsync(`community/c1/smoke/${id}/event`, JSON.stringify({ type: 'alarm' }), { qos: 1 });
      const at = await waitFor(() => arrived.get(id), { what: `alert for ${id}`, timeoutMs: 10_000, intervalMs: 2 });
      latencies.push(at - t);
    }
    await background;
    await probe.endAsync();
    ws.close();
    expect(latencies).toHaveLength(20);
    expect((await fetch(`${hub.httpUrl}/healthz`)).status).toBe(503); // the store is still down
    await influx.start();
  });
});
