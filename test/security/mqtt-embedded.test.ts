import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../server/src/hub.ts';
import { SqliteTelemetryStore } from '../../server/src/store/sqlite.ts';
import { startHub } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import { adminSession, createGateway, provisionDevice, type HubSession, type MqttLogin } from '../helpers/auth.ts';
import { countedReason, grants } from '../helpers/mqtt-checks.ts';

const refused = (hub: Hub, reason: string) => countedReason(hub, reason);
/** A device's client id must be its username (a gateway's may be anything: it is namespaced by the broker). */
const connect = (url: string, o: mqtt.IClientOptions = {}) =>
  mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...(o.username ? { clientId: o.username } : {}), ...o });

describe('embedded broker: every connection authenticated, every topic checked', () => {
  let hub: Hub;
  let s: HubSession;
  let d1: MqttLogin;
  let d2: MqttLogin;

  beforeAll(async () => {
    hub = await startHub();
    s = await adminSession(hub.httpUrl);
    d1 = await provisionDevice(hub.httpUrl, s.token, { id: 'sec-d1', kind: 'smoke', communityId: 'c1', gridCellId: 'g1' });
    d2 = await provisionDevice(hub.httpUrl, s.token, { id: 'sec-d2', kind: 'gate', communityId: 'c1', gridCellId: 'g2' });
  });
  afterAll(async () => hub?.stop());

  it('refuses a connection without credentials, with a wrong password and with an unknown user (CONNACK not authorized)', async () => {
    const before = { none: await refused(hub, 'no_credentials'), bad: await refused(hub, 'bad_credentials') };
    await expect(connect(hub.mqttUrl, { clientId: 'anon' })).rejects.toThrow(/Not authorized/i);
    await expect(connect(hub.mqttUrl, { username: 'sec-d1', password: 'wrong-password' })).rejects.toThrow(/Not authorized/i);
    await expect(connect(hub.mqttUrl, { username: 'sec-d1', password: `${d2.password}` })).rejects.toThrow(/Not authorized/i);
    await expect(connect(hub.mqttUrl, { username: 'nobody', password: 'x' })).rejects.toThrow(/Not authorized/i);
    await expect(connect(hub.mqttUrl, { username: 'sec-d1' })).rejects.toThrow(/Not authorized/i);
    expect(await refused(hub, 'no_credentials')).toBe(before.none + 2);
    expect(await refused(hub, 'bad_credentials')).toBe(before.bad + 3);
    const metrics = await (await fetch(`${hub.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/hub_mqtt_refused_total\{reason="bad_credentials"\} \d+/);
  });

  it('accepts a device on its own topics and stores what it sends', async () => {
    const c = await connect(hub.mqttUrl, { username: d1.username, password: d1.password, clientId: 'sec-d1' });
    await c.publishAsync('community/c1/smoke/sec-d1/telemetry', JSON.stringify({ ts: Date.now(), seq: 1, battery_pct: 77 }), { qos: 1 });
    await c.endAsync();
    await waitFor(() => (hub.store as SqliteTelemetryStore).count('telemetry') >= 1 || undefined, { what: 'stored' });
    expect(hub.registry.get('sec-d1')?.lastSeenAt).not.toBeNull();
  });

  it("refuses a device publishing on another device's topic (or its own id under another kind or community), and counts it", async () => {
    const before = await refused(hub, 'publish_denied');
    const receivedBefore = hub.rejects.total() + (hub.registry.get('sec-d2')?.lastSeenAt ?? 0);
    for (const topic of ['community/c1/gate/sec-d2/event', 'community/c2/smoke/sec-d1/telemetry', 'community/c1/gate/sec-d1/telemetry', 'community/c1/alerts/a-forged', 'community/c1/smoke/sec-d1/cmd']) {
      const c = await connect(hub.mqttUrl, { username: d1.username, password: d1.password });
      const closed = new Promise<void>((r) => c.once('close', () => r()));
      c.publish(topic, JSON.stringify({ type: 'door_forced' }), { qos: 1 });
      await closed; // MQTT 3.1.1 cannot refuse a publish otherwise: the broker drops the connection
      c.end(true);
    }
    expect(await refused(hub, 'publish_denied')).toBe(before + 5);
    await new Promise((r) => setTimeout(r, 200));
    expect(hub.rejects.total() + (hub.registry.get('sec-d2')?.lastSeenAt ?? 0)).toBe(receivedBefore);
    expect(hub.alerts.unresolved().some((a) => a.deviceId === 'sec-d2')).toBe(false);
  });

  it('lets a device subscribe only under its own subtree', async () => {
    const before = await refused(hub, 'subscribe_denied');
    const c = await connect(hub.mqttUrl, { username: d1.username, password: d1.password });
    expect(await grants(c, ['community/#', 'community/c1/alerts/+', 'community/c1/smoke/sec-d1/#'])).toEqual([128, 128, 1]);
    await c.endAsync();
    expect(await refused(hub, 'subscribe_denied')).toBe(before + 2);
  });

  it('a gateway publishes for its communities only, never an alert; reads alerts of its communities', async () => {
    const gw = await createGateway(hub.httpUrl, s.token, 'gw-c1', ['c1']);
    const c = await connect(hub.mqttUrl, gw);
    await c.publishAsync('community/c1/smoke/gw-dev/telemetry', JSON.stringify({ battery_pct: 60 }), { qos: 1 });
    await waitFor(() => hub.registry.get('gw-dev') || undefined, { what: 'gateway device registered' });
    expect(await grants(c, ['community/c1/alerts/+', 'community/c2/alerts/+', 'community/#'])).toEqual([1, 128, 128]);
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.publish('community/c2/smoke/gw-dev2/telemetry', '{}', { qos: 1 });
    await closed;
    c.end(true);
    expect(hub.registry.get('gw-dev2')).toBeUndefined();
  });

  it('revoking a credential refuses the next connection and cuts open ones; rotating issues a new secret', async () => {
    const openBefore = await connect(hub.mqttUrl, d2);
    const rotated = await s.fetch(`${hub.httpUrl}/api/devices/sec-d2/credentials`, { method: 'POST' });
    expect(rotated.status).toBe(200);
    const fresh = ((await rotated.json()) as { mqtt: MqttLogin }).mqtt;
    await expect(connect(hub.mqttUrl, d2)).rejects.toThrow(/Not authorized/i);
    // The connection opened with the old secret is cut at its next publish, which is not delivered.
    const cut = new Promise<void>((r) => openBefore.once('close', () => r()));
    openBefore.publish('community/c1/gate/sec-d2/telemetry', JSON.stringify({ ts: Date.now(), seq: 1, battery_pct: 11 }), { qos: 1 });
    await cut;
    openBefore.end(true);
    expect(hub.registry.get('sec-d2')?.lastSeenAt ?? null).toBeNull();
    const freshConnection = await connect(hub.mqttUrl, fresh);
    await freshConnection.publishAsync('community/c1/gate/sec-d2/telemetry', JSON.stringify({ ts: Date.now(), seq: 2, battery_pct: 12 }), { qos: 1 });
    await waitFor(() => hub.registry.get('sec-d2')?.lastSeenAt ?? undefined, { what: 'the rotated secret works' });
    expect((await s.fetch(`${hub.httpUrl}/api/mqtt/credentials/sec-d2`, { method: 'DELETE' })).status).toBe(200);
    const cutAgain = new Promise<void>((r) => freshConnection.once('close', () => r()));
    freshConnection.publish('community/c1/gate/sec-d2/telemetry', '{}', { qos: 1 });
    await cutAgain;
    freshConnection.end(true);
    await expect(connect(hub.mqttUrl, fresh)).rejects.toThrow(/Not authorized/i);
    // A revoked gateway that only listens is cut at its next delivery.
    const gw = await createGateway(hub.httpUrl, s.token, 'gw-revoked', ['c1']);
    const listener = await connect(hub.mqttUrl, gw);
    expect(await grants(listener, ['community/c1/alerts/+'])).toEqual([1]);
    expect((await s.fetch(`${hub.httpUrl}/api/mqtt/credentials/gw-revoked`, { method: 'DELETE' })).status).toBe(200);
    const listenerCut = new Promise<void>((r) => listener.once('close', () => r()));
    let delivered = 0;
    listener.on('message', () => delivered++);
    const d1c = await connect(hub.mqttUrl, d1);
    await d1c.publishAsync('community/c1/smoke/sec-d1/event', JSON.stringify({ type: 'alarm', ts: Date.now(), seq: 9 }), { qos: 1 });
    d1c.end(true);
    await listenerCut;
    listener.end(true);
    expect(delivered).toBe(0);
    // Provisioning an id that already has a credential does not silently replace it.
    const again = await s.fetch(`${hub.httpUrl}/api/devices`, { method: 'POST', body: JSON.stringify({ id: 'sec-d1', kind: 'smoke', communityId: 'c1' }) });
    expect(again.status).toBe(409);
  });
});

describe('ingest limits: per-device rate and JSON depth', () => {
  let hub: Hub;
  let s: HubSession;
  beforeAll(async () => {
    hub = await startHub({ deviceRateLimit: 20, deviceRateBurst: 40 });
    s = await adminSession(hub.httpUrl);
  });
  afterAll(async () => hub?.stop());

  it('drops and counts what a device sends over its budget, and leaves other devices alone', async () => {
    const c = await connect(hub.mqttUrl, s.gateway);
    for (let i = 0; i < 200; i++) c.publish('community/c1/smoke/chatty/telemetry', JSON.stringify({ seq: i, battery_pct: 50 }), { qos: 0 });
    // A device at the bench's pace (about 1 msg/s) is never limited.
    for (let i = 0; i < 5; i++) {
      await c.publishAsync('community/c1/smoke/calm/telemetry', JSON.stringify({ seq: i, battery_pct: 50 }), { qos: 1 });
      await new Promise((r) => setTimeout(r, 200));
    }
    await c.endAsync();
    await waitFor(() => (hub.rejects.counts.get('rate_limited') ?? 0) >= 150 || undefined, { what: 'rate-limited count' });
    const limited = hub.rejects.counts.get('rate_limited')!;
    expect(limited).toBeGreaterThanOrEqual(150);
    expect(limited).toBeLessThanOrEqual(160);
    expect(hub.rejects.recent(500).every((r) => r.reason !== 'rate_limited' || r.topic.includes('chatty'))).toBe(true);
    expect(await (await fetch(`${hub.httpUrl}/metrics`)).text()).toMatch(/hub_messages_rejected_total\{reason="rate_limited"\}/);
  });

  it('refuses JSON nested deeper than the limit before parsing it', async () => {
    const c = await connect(hub.mqttUrl, s.gateway);
    const deep = '{"a":'.repeat(2000) + '1' + '}'.repeat(2000);
    await c.publishAsync('community/c1/smoke/deep/telemetry', deep, { qos: 1 });
    await c.publishAsync('community/c1/smoke/deep/event', '['.repeat(5000) + ']'.repeat(5000), { qos: 1 });
    // Brackets inside strings are text, not nesting.
    await c.publishAsync('community/c1/smoke/deep/telemetry', JSON.stringify({ battery_pct: 40, note: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["\\' }), { qos: 1 });
    await c.endAsync();
    await waitFor(() => hub.rejects.counts.get('too_deep') === 2 || undefined, { what: 'two too_deep' });
    await waitFor(() => hub.registry.get('deep')?.lastSeenAt || undefined, { what: 'the string-bracket payload accepted' });
  });
});
