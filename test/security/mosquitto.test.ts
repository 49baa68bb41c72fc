import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../server/src/hub.ts';
import { SqliteTelemetryStore } from '../../server/src/store/sqlite.ts';
import { startHub, tempDataDir } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import type { Service } from '../helpers/services.ts';
import { startSecureMosquitto } from '../helpers/secure-mosquitto.ts';
import { adminSession, provisionDevice, type HubSession, type MqttLogin } from '../helpers/auth.ts';

const connect = (url: string, o: mqtt.IClientOptions = {}) => mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...o });

/**
 * The files the hub generates, read by a real Mosquitto 2.0: the same logins and the same topic
 * rules as the embedded broker. Provisioning happens on the hub first (embedded broker), then the
 * hub moves to Mosquitto with the same DATA_DIR, as an operator would.
 */
describe('real Mosquitto with the generated password_file and acl_file', () => {
  let hub: Hub;
  let mosquitto: Service;
  let s: HubSession;
  let d1: MqttLogin;
  let d2: MqttLogin;
  let hubUrl: string;
  const dataDir = tempDataDir('mosq-sec');

  beforeAll(async () => {
    const setupHub = await startHub({ dataDir });
    s = await adminSession(setupHub.httpUrl, 'sim-gw');
    d1 = await provisionDevice(setupHub.httpUrl, s.token, { id: 'mq-d1', kind: 'smoke', communityId: 'c1', gridCellId: 'g1' });
    d2 = await provisionDevice(setupHub.httpUrl, s.token, { id: 'mq-d2', kind: 'gate', communityId: 'c1', gridCellId: 'g1' });
    const files = (await (await s.fetch(`${setupHub.httpUrl}/api/mqtt/mosquitto-config`)).json()) as { passwordFile: string; aclFile: string; hubPasswordFile: string };
    await setupHub.stop();
    const broker = await startSecureMosquitto(path.join(dataDir, 'mosquitto'), files);
    mosquitto = broker.service;
    hubUrl = broker.hubUrl;
    hub = await startHub({ dataDir, mqttUrl: hubUrl, mqttClientId: 'hub-mosq-sec' });
    s = { ...s, ...(await adminSession(hub.httpUrl, 'unused-gw')), gateway: s.gateway };
  });
  afterAll(async () => {
    await hub?.stop();
    await mosquitto?.stop();
  });

  it('the hub logs in with its own generated credential', async () => {
    expect(hub.mqtt.connected).toBe(true);
    expect((await fetch(`${hub.httpUrl}/healthz`)).status).toBe(200);
  });

  it("the hub's listener takes only the hub's login", async () => {
    await expect(connect(hubUrl, { ...d1, clientId: 'hub-mosq-sec' })).rejects.toThrow(/Not authorized|Bad username/i);
    expect(hub.mqtt.connected).toBe(true);
  });

  it('refuses no credentials, a wrong password and an unknown user', async () => {
    await expect(connect(mosquitto.url)).rejects.toThrow(/Not authorized/i);
    await expect(connect(mosquitto.url, { username: 'mq-d1', password: 'wrong' })).rejects.toThrow(/Not authorized|Bad username/i);
    await expect(connect(mosquitto.url, { username: 'ghost', password: d1.password })).rejects.toThrow(/Not authorized|Bad username/i);
  });

  it("delivers a device's own messages and drops those on another device's topic", async () => {
    const c = await connect(mosquitto.url, { ...d1, clientId: 'mq-d1' });
    await c.publishAsync('community/c1/gate/mq-d2/event', JSON.stringify({ type: 'door_forced', ts: Date.now() }), { qos: 1 });
    await c.publishAsync('community/c1/alerts/a-forged', JSON.stringify({ id: 'a-forged' }), { qos: 1 });
    await c.publishAsync('community/c1/smoke/mq-d1/telemetry', JSON.stringify({ ts: Date.now(), seq: 1, battery_pct: 66 }), { qos: 1 });
    await c.endAsync();
    await waitFor(() => (hub.store as SqliteTelemetryStore).count('telemetry') === 1 || undefined, { what: 'the own message stored' });
    await new Promise((r) => setTimeout(r, 300));
    expect(hub.registry.get('mq-d2')?.lastSeenAt ?? null).toBeNull();
    expect(hub.alerts.unresolved().some((a) => a.deviceId === 'mq-d2')).toBe(false);
  });

  it('a device cannot listen to others; a gateway reads alerts and publishes for devices', async () => {
    const spy = await connect(mosquitto.url, d2);
    const seen: string[] = [];
    spy.on('message', (t) => seen.push(t));
    await spy.subscribeAsync('community/#', { qos: 1 }).catch(() => undefined);
    const gw = await connect(mosquitto.url, s.gateway);
    const alerts: string[] = [];
    gw.on('message', (t) => alerts.push(t));
    await gw.subscribeAsync('community/c1/alerts/+', { qos: 1 });
    await gw.publishAsync('community/c1/smoke/mq-d1/event', JSON.stringify({ type: 'alarm', ts: Date.now(), seq: 2 }), { qos: 1 });
    await waitFor(() => alerts.length > 0 || undefined, { what: 'the alert published by the hub, read by the gateway' });
    expect(seen).toEqual([]);
    await spy.endAsync();
    await gw.endAsync();
  });

});
