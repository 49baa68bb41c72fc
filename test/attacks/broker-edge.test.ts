import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../server/src/hub.ts';
import { startHub, tempDataDir } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import { adminSession, provisionDevice, type MqttLogin } from '../helpers/auth.ts';
import { startSecureMosquitto, type SecureMosquitto } from '../helpers/secure-mosquitto.ts';
import { countedReason, grants } from '../helpers/mqtt-checks.ts';

/**
 * Attacks on the broker edge beyond the list, by a provisioned device: a last will on
 * another device's status topic, a retained alarm (replayed to the hub at each resubscribe), and
 * wildcard or $SYS subscriptions.
 */
const refused = (hub: Hub, reason: string) => countedReason(hub, reason);
const VICTIM_STATUS = 'community/c1/gate/edge-victim/status';

async function provision(hub: Hub) {
  const s = await adminSession(hub.httpUrl, 'edge-gw');
  return {
    s,
    attacker: await provisionDevice(hub.httpUrl, s.token, { id: 'edge-attacker', kind: 'smoke', communityId: 'c1', gridCellId: 'g1' }),
    victim: await provisionDevice(hub.httpUrl, s.token, { id: 'edge-victim', kind: 'gate', communityId: 'c1', gridCellId: 'g1' }),
  };
}

/** The attacker connects with a last will saying the victim went offline, then drops its TCP connection. */
async function spoofWill(url: string, attacker: MqttLogin): Promise<void> {
  const c = await mqtt.connectAsync(url, {
    ...attacker,
    clientId: attacker.username,
    reconnectPeriod: 0,
    will: { topic: VICTIM_STATUS, payload: Buffer.from('offline'), qos: 1, retain: true },
  });
  c.stream.destroy(); // an abrupt loss publishes the will
  c.end(true);
}

async function victimOnline(url: string, victim: MqttLogin, hub: Hub): Promise<mqtt.MqttClient> {
  const v = await mqtt.connectAsync(url, { ...victim, clientId: victim.username, reconnectPeriod: 0 });
  await v.publishAsync(VICTIM_STATUS, 'online', { qos: 1, retain: true });
  await waitFor(() => hub.registry.get('edge-victim')?.online || undefined, { what: 'the victim online' });
  return v;
}

describe('broker edge: embedded broker', () => {
  let hub: Hub;
  let p: Awaited<ReturnType<typeof provision>>;
  beforeAll(async () => {
    hub = await startHub();
    p = await provision(hub);
  });
  afterAll(async () => hub?.stop());

  it("a last will on another device's status topic is refused when it would fire; the victim stays online", async () => {
    const v = await victimOnline(hub.mqttUrl, p.victim, hub);
    const before = await refused(hub, 'publish_denied');
    await spoofWill(hub.mqttUrl, p.attacker);
    await waitFor(async () => (await refused(hub, 'publish_denied')) > before || undefined, { what: 'the spoofed will refused' });
    await new Promise((r) => setTimeout(r, 300));
    expect(hub.registry.get('edge-victim')?.online).toBe(true);
    await v.endAsync();
  });

  it('a retained event is refused before it is acknowledged (connection closed), counted; a retained status is fine', async () => {
    const before = await refused(hub, 'retain_denied');
    const c = await mqtt.connectAsync(hub.mqttUrl, { ...p.attacker, clientId: p.attacker.username, reconnectPeriod: 0 });
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.publish('community/c1/smoke/edge-attacker/event', JSON.stringify({ type: 'alarm', ts: Date.now() - 1000, seq: 1 }), { qos: 1, retain: true });
    await closed;
    c.end(true);
    expect(await refused(hub, 'retain_denied')).toBe(before + 1);
    expect(hub.alerts.unresolved().some((a) => a.deviceId === 'edge-attacker')).toBe(false);
    const ok = await mqtt.connectAsync(hub.mqttUrl, { ...p.attacker, clientId: p.attacker.username, reconnectPeriod: 0 });
    await ok.publishAsync('community/c1/smoke/edge-attacker/status', 'online', { qos: 1, retain: true });
    await ok.endAsync();
  });

  it("wildcard, $SYS and other devices' subscriptions are refused", async () => {
    const c = await mqtt.connectAsync(hub.mqttUrl, { ...p.attacker, clientId: p.attacker.username, reconnectPeriod: 0 });
    expect(await grants(c, ['#', '+/#', '$SYS/#', 'community/+/+/+/event', 'community/c1/gate/edge-victim/#'])).toEqual([128, 128, 128, 128, 128]);
    await c.endAsync();
  });
});

describe('broker edge: real Mosquitto with the generated files', () => {
  let hub: Hub;
  let broker: SecureMosquitto;
  let p: Awaited<ReturnType<typeof provision>>;
  const dataDir = tempDataDir('edge-mosq');
  beforeAll(async () => {
    const setup = await startHub({ dataDir });
    p = await provision(setup);
    const files = (await (await p.s.fetch(`${setup.httpUrl}/api/mqtt/mosquitto-config`)).json()) as { passwordFile: string; aclFile: string; hubPasswordFile: string };
    await setup.stop();
    broker = await startSecureMosquitto(path.join(dataDir, 'mosquitto'), files);
    hub = await startHub({ dataDir, mqttUrl: broker.hubUrl });
  });
  afterAll(async () => {
    await hub?.stop();
    await broker?.service.stop();
  });

  it("a spoofed last will never reaches the hub; wildcard and $SYS subscriptions deliver nothing of others'", async () => {
    const v = await victimOnline(broker.deviceUrl, p.victim, hub);
    const spy = await mqtt.connectAsync(broker.deviceUrl, { ...p.attacker, reconnectPeriod: 0 });
    const seen: string[] = [];
    spy.on('message', (t) => seen.push(t));
    await grants(spy, ['#', '$SYS/#', 'community/+/+/+/status']);
    await spoofWill(broker.deviceUrl, p.attacker);
    await v.publishAsync('community/c1/gate/edge-victim/event', JSON.stringify({ type: 'access_granted', ts: Date.now() - 1000, seq: 1 }), { qos: 1 });
    await waitFor(() => hub.registry.get('edge-victim')?.lastSeenAt || undefined, { what: "the victim's event" });
    await new Promise((r) => setTimeout(r, 500));
    expect(hub.registry.get('edge-victim')?.online).toBe(true);
    expect(seen).toEqual([]);
    await spy.endAsync();
    await v.endAsync();
  });

  it('a retained alarm is handled once; replayed to a fresh session of the hub it is ignored and counted, never a new alert', async () => {
    const c = await mqtt.connectAsync(broker.deviceUrl, { ...p.attacker, reconnectPeriod: 0 });
    await c.publishAsync('community/c1/smoke/edge-attacker/event', JSON.stringify({ type: 'alarm', ts: Date.now() - 1000, seq: 7 }), { qos: 1, retain: true });
    await c.endAsync();
    const alert = await waitFor(() => hub.alerts.unresolved().find((a) => a.deviceId === 'edge-attacker'), { what: 'the live alarm raised once' });
    hub.alerts.resolve(alert.id, 'admin', 'checked: no fire');
    await hub.stop();
    // A new client id is a new session: Mosquitto sends it every retained message it subscribes to.
    hub = await startHub({ dataDir, mqttUrl: broker.hubUrl, mqttClientId: 'edge-fresh' });
    const replays = async () => ((await hub.metrics.registry.getSingleMetric('hub_mqtt_retained_ignored_total')?.get())?.values[0]?.value ?? 0);
    await waitFor(async () => (await replays()) >= 1 || undefined, { what: 'the retained alarm replayed and ignored' });
    await new Promise((r) => setTimeout(r, 300));
    expect(hub.alerts.unresolved().some((a) => a.deviceId === 'edge-attacker')).toBe(false);
  });
});
