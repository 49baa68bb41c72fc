import { describe, expect, it } from 'vitest';
import { buildFleet } from '../../simulators/src/fleet.ts';
import { runSimulation } from '../../simulators/src/run.ts';
import { InfluxTelemetryStore } from '../../server/src/store/influx.ts';
import { startHubProcess } from '../helpers/hub.ts';
import { influxPointCount } from '../helpers/influx-count.ts';
import { waitFor } from '../helpers/ports.ts';
import { useMosquittoAndInflux } from '../helpers/real-services.ts';
import { verifyStored } from '../helpers/traffic.ts';
import { authedFetch, login } from '../helpers/auth.ts';

describe('simulator → real Mosquitto → hub → real InfluxDB', () => {
  const env = useMosquittoAndInflux();

  it('stores exactly the N messages sent, values intact', async () => {
    const hub = await env.hub('exact');
    const fleet = buildFleet({ devices: 300, seed: 5, idPrefix: 'mi' });
    const summary = await runSimulation({ mqttUrl: env.mosquitto.url, devices: fleet, rate: 3000, qos: 1, count: 6000, record: true, eventShare: 0.05 });
    expect(summary.acked).toBe(6000);
    await waitFor(async () => (await influxPointCount(env.influx, 'exact')) === 6000 || undefined, { what: '6000 points in InfluxDB', timeoutMs: 60_000 });
    expect(await verifyStored(new InfluxTelemetryStore(env.influxUrl('exact')), summary.messages!)).toEqual([]);
    // The HTTP API reads the same data back from InfluxDB.
    const d = fleet[0]!;
    const res = await authedFetch(await login(hub.httpUrl))(`${hub.httpUrl}/api/devices/${d.id}/telemetry?from=-1h&limit=100000`);
    const body = (await res.json()) as { points: { seq: number }[] };
    // Events are not telemetry points: count what this device sent on its telemetry topic.
    expect(body.points.length).toBe(summary.messages!.filter((m) => m.topic === `community/${d.communityId}/${d.kind}/${d.id}/telemetry`).length);
  });

  it('loses nothing while InfluxDB is stopped and restarted mid-run; /healthz says degraded meanwhile', async () => {
    const hub = await env.hub('outage');
    const fleet = buildFleet({ devices: 200, seed: 6, idPrefix: 'out' });
    const run = runSimulation({ mqttUrl: env.mosquitto.url, devices: fleet, rate: 1000, qos: 1, count: 8000, record: true });
    await waitFor(async () => (await influxPointCount(env.influx, 'outage')) > 500 || undefined, { what: 'first points' });
    await env.influx.stop('SIGKILL');
    await waitFor(async () => (await fetch(`${hub.httpUrl}/healthz`)).status === 503 || undefined, { what: 'healthz 503' });
    const health = (await (await fetch(`${hub.httpUrl}/healthz`)).json()) as { status: string; store: { up: boolean } };
    expect(health).toMatchObject({ status: 'degraded', store: { up: false } });
    await new Promise((r) => setTimeout(r, 3000));
    expect(hub.journal.pendingBytes()).toBeGreaterThan(0);
    await env.influx.start();
    const summary = await run;
    expect(summary.acked).toBe(8000);
    await waitFor(async () => (await influxPointCount(env.influx, 'outage')) === 8000 || undefined, { what: '8000 points after the outage', timeoutMs: 90_000 });
    expect(await verifyStored(new InfluxTelemetryStore(env.influxUrl('outage')), summary.messages!)).toEqual([]);
    await waitFor(async () => (await fetch(`${hub.httpUrl}/healthz`)).status === 200 || undefined, { what: 'healthz ok again' });
  });

  it('loses nothing when the hub is killed (SIGKILL) mid-run at QoS 1 and restarted', async () => {
    const hubEnv = { MQTT_URL: env.mosquitto.url, INFLUX_URL: env.influxUrl('crash'), MQTT_CLIENT_ID: 'hub-crash' };
    let hubProc = await startHubProcess(hubEnv);
    const fleet = buildFleet({ devices: 200, seed: 7, idPrefix: 'crash' });
    const run = runSimulation({ mqttUrl: env.mosquitto.url, devices: fleet, rate: 1500, qos: 1, count: 9000, record: true });
    await waitFor(async () => (await influxPointCount(env.influx, 'crash')) > 1000 || undefined, { what: 'first points' });
    await hubProc.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1500)); // the broker queues for the hub's persistent session meanwhile
    hubProc = await startHubProcess({ ...hubEnv, DATA_DIR: hubProc.dataDir });
    const summary = await run;
    expect(summary.acked).toBe(9000);
    await waitFor(async () => (await influxPointCount(env.influx, 'crash')) === 9000 || undefined, { what: '9000 points after the crash', timeoutMs: 90_000 });
    expect(await verifyStored(new InfluxTelemetryStore(env.influxUrl('crash')), summary.messages!)).toEqual([]);
    await hubProc.kill('SIGTERM');
    expect(hubProc.output()).toMatch(/stopped cleanly/);
  });
});
