import mqtt from 'mqtt';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFleet } from '../../simulators/src/fleet.ts';
import { runSimulation } from '../../simulators/src/run.ts';
import type { Hub } from '../../server/src/hub.ts';
import { influxPointCount } from '../helpers/influx-count.ts';
import { waitFor } from '../helpers/ports.ts';
import { useMosquittoAndInflux } from '../helpers/real-services.ts';

/** Two hubs on one broker, partitioned by community: the load splits, nothing is written or alerted twice. */
describe('scale-out: two hubs partitioned by community', () => {
  const env = useMosquittoAndInflux();
  let hubA: Hub;
  let hubB: Hub;
  beforeAll(async () => {
    // Both hubs write to one database; each owns its communities.
    hubA = await env.hub('scaleout', { mqttClientId: 'hub-a', communities: ['c1'], mqttSharedGroup: 'hubs' });
    hubB = await env.hub('scaleout', { mqttClientId: 'hub-b', communities: ['c2'], mqttSharedGroup: 'hubs' });
  });

  it('splits the load with no double writes and no double alerts', async () => {
    const fleet = buildFleet({ devices: 200, communities: 2, seed: 21, idPrefix: 'so' });
    const summary = await runSimulation({ mqttUrl: env.mosquitto.url, devices: fleet, rate: 1000, qos: 1, count: 6000 });
    expect(summary.acked).toBe(6000);
    await waitFor(async () => (await influxPointCount(env.influx, 'scaleout')) === 6000 || undefined, { what: '6000 points', timeoutMs: 60_000 });
    const storedA = (await hubA.metrics.pointsStored.get()).values[0]!.value;
    const storedB = (await hubB.metrics.pointsStored.get()).values[0]!.value;
    expect(storedA + storedB).toBe(6000);
    expect(storedA).toBeGreaterThan(1000);
    expect(storedB).toBeGreaterThan(1000);
    expect(hubA.registry.list({ communityId: 'c2' })).toHaveLength(0);
    expect(hubB.registry.list({ communityId: 'c1' })).toHaveLength(0);

    const device = await mqtt.connectAsync(env.mosquitto.url, { clientId: 'so-alarms' });
    await device.publishAsync('community/c1/smoke/so-x1/event', JSON.stringify({ type: 'alarm' }), { qos: 1 });
    await device.publishAsync('community/c2/smoke/so-x2/event', JSON.stringify({ type: 'alarm' }), { qos: 1 });
    await device.publishAsync('community/c1/smoke/so-x1/event', JSON.stringify({ type: 'alarm' }), { qos: 1 });
    await device.endAsync();
    await waitFor(() => (hubA.alerts.unresolved()[0]?.count === 2 && hubB.alerts.unresolved().length === 1) || undefined, { what: 'one alert on each hub' });
    expect(hubA.alerts.unresolved()).toHaveLength(1);
    expect(hubA.alerts.unresolved()[0]).toMatchObject({ deviceId: 'so-x1', count: 2 });
    expect(hubB.alerts.unresolved()[0]).toMatchObject({ deviceId: 'so-x2', count: 1 });
  });
});
