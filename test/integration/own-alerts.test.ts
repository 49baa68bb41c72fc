import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '#devices';
import type { Hub } from '../../server/src/hub.ts';
import { SAMPLE_CONFIG } from '../helpers/alerts.ts';
import { startHub, tempDataDir } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import { startMosquitto, type Service } from '../helpers/services.ts';

/**
 * On an external broker the hub subscribes to device topics only: its own alert publications
 * never come back to it (nothing drops them any more; a received one would count as a rejected
 * topic), while a device's malformed topics of other depths are still seen and counted.
 */
describe('the hub on Mosquitto never receives its own alerts', () => {
  let broker: Service;
  let hub: Hub;
  let device: mqtt.MqttClient;
  const published: Alert[] = [];

  beforeAll(async () => {
    broker = await startMosquitto();
    const dataDir = tempDataDir('own-alerts');
    const configFile = path.join(dataDir, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify(SAMPLE_CONFIG));
    hub = await startHub({ dataDir, configFile, mqttUrl: broker.url });
    const listener = await mqtt.connectAsync(broker.url, { clientId: 'own-alerts-listener' });
    await listener.subscribeAsync('community/+/alerts/+', { qos: 1 });
    listener.on('message', (_t, p) => published.push(JSON.parse(p.toString()) as Alert));
    device = await mqtt.connectAsync(broker.url, { clientId: 'own-alerts-device' });
    afterAll(() => listener.endAsync());
  });
  afterAll(async () => {
    await device?.endAsync();
    await hub?.stop();
    await broker?.stop();
  });

  it('an alarm goes out on the alert topic and is not taken in again; bad depths are counted', async () => {
    const before = hub.rejects.total();
    await device.publishAsync('community/c1/smoke/s1/event', JSON.stringify({ type: 'alarm', ts: Date.now(), seq: 1 }), { qos: 1 });
    const alert = await waitFor(() => published.find((a) => a.deviceId === 's1'), { what: 'the alert on MQTT' });
    hub.alerts.acknowledge(alert.id, 'w1');
    await waitFor(() => published.some((a) => a.id === alert.id && a.state === 'acknowledged') || undefined, { what: 'the acknowledgement on MQTT' });
    for (const topic of ['community/c1', 'community/c1/smoke', 'community/c1/smoke/s1', 'community/c1/smoke/s1/telemetry/extra']) await device.publishAsync(topic, '{}', { qos: 1 });
    await waitFor(() => hub.rejects.total() - before >= 4 || undefined, { what: 'four malformed topics counted' });
    // The alert's own publications, had they come in, would be counted after the malformed ones.
    await device.publishAsync('community/c1/smoke/s1/telemetry', JSON.stringify({ ts: Date.now(), battery_pct: 90 }), { qos: 1 });
    await waitFor(() => (hub.registry.get('s1')?.lastSeenAt ?? 0) > alert.openedAt || undefined, { what: 'a later reading taken in' });
    expect(hub.rejects.total() - before).toBe(4);
  });
});
