import mqtt from 'mqtt';
import type WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopic, type Alert } from '#devices';
import type { Hub } from '../../server/src/hub.ts';
import { adminSession, openLive, type HubSession } from '../helpers/auth.ts';
import { waitFor } from '../helpers/ports.ts';
import { ctwing, percentile, post, startPlatformHub, TOKENS } from './platform-clients.ts';

const SMOKE_PRODUCT = '15100001';
const GAS_PRODUCT = '15100002';
const SMOKE_IMEI = '861234567890123';
const GAS_IMEI = '869999000000001';

/**
 * CTWing HTTP push into a real hub (embedded broker, SQLite store, rules): the shipped example
 * products, the platform's messages as its documentation shapes them.
 */
describe('CTWing HTTP push', () => {
  let hub: Hub;
  let s: HubSession;
  let smokeUrl: string;
  let gasUrl: string;
  const t0 = Date.now() - 60_000;

  beforeAll(async () => {
    hub = await startPlatformHub([
      { id: SMOKE_IMEI, kind: 'smoke', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1', floor: 3 },
      // The gas detector's hub id differs from its IMEI: the product maps it.
      { id: 'gas-kitchen-101', kind: 'gas', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1', floor: 1 },
      { id: 'mqtt-smoke-1', kind: 'smoke', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1', floor: 5 },
      { id: 'nb-smoke-bench', kind: 'smoke', communityId: 'c1', gridCellId: 'g1' },
    ], { ctwing: { [GAS_PRODUCT]: { [GAS_IMEI]: 'gas-kitchen-101' } } });
    s = await adminSession(hub.httpUrl);
    smokeUrl = `${hub.httpUrl}/api/ingest/ctwing/${SMOKE_PRODUCT}?token=${TOKENS.CTWING_SMOKE_TOKEN}`;
    gasUrl = `${hub.httpUrl}/api/ingest/ctwing/${GAS_PRODUCT}`;
  });
  afterAll(async () => hub?.stop());

  async function points(deviceId: string, field: string): Promise<{ ts: number; value: unknown }[]> {
    const res = await s.fetch(`${hub.httpUrl}/api/devices/${deviceId}/telemetry?field=${field}&from=${t0 - 3600_000}&to=${Date.now() + 60_000}`);
    return ((await res.json()) as { points: { ts: number; value: unknown }[] }).points;
  }
  async function openAlert(deviceId: string): Promise<Alert | undefined> {
    const res = await s.fetch(`${hub.httpUrl}/api/alerts?state=open&communityId=c1`);
    return ((await res.json()) as { alerts: Alert[] }).alerts.find((a) => a.deviceId === deviceId);
  }

  it('stores a dataReport serviceData as the kind telemetry, mapped and scaled', async () => {
    const body = ctwing.dataReport({ productId: SMOKE_PRODUCT, deviceId: `${SMOKE_PRODUCT}${SMOKE_IMEI}`, imei: SMOKE_IMEI, sn: 1, ts: t0, serviceData: { smoke_value: 125, temperature: 23.5, battery_value: 88, rsrp: -97, smoke_state: 0 } });
    const r = await post(smokeUrl, JSON.stringify(body));
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({ ok: true, stored: 1 });
    const battery = await waitFor(async () => ((await points(SMOKE_IMEI, 'battery_pct')).length === 1 ? points(SMOKE_IMEI, 'battery_pct') : undefined), { what: 'battery point' });
    expect(battery).toEqual([{ ts: t0, value: 88 }]);
    expect(await points(SMOKE_IMEI, 'smoke_obscuration_pct_per_m')).toEqual([{ ts: t0, value: 1.25 }]);
    expect(await points(SMOKE_IMEI, 'rssi_dbm')).toEqual([{ ts: t0, value: -97 }]);
  });

  it('a smoke alarm through CTWing raises the same fire alarm as one over MQTT, and it reaches the WebSocket', async () => {
    const ws: WebSocket = await openLive(hub.httpUrl, s.token);
    const seen: Alert[] = [];
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { type: string; alert?: Alert };
      if (m.type === 'alert' && m.alert) seen.push(m.alert);
    });
    try {
      const body = ctwing.eventReport({ productId: SMOKE_PRODUCT, deviceId: `${SMOKE_PRODUCT}${SMOKE_IMEI}`, imei: SMOKE_IMEI, sn: 2, ts: t0 + 1000, serviceId: 1001, eventType: 2, serviceData: { smoke_state: 1, smoke_value: 1500 } });
      const r = await post(smokeUrl, JSON.stringify(body));
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      const live = await waitFor(async () => seen.find((a) => a.deviceId === SMOKE_IMEI), { what: 'fire alarm on /ws' });
      expect(live).toMatchObject({ type: 'fire_alarm', severity: 'critical', state: 'open', communityId: 'c1', gridCellId: 'g1' });

      const client = await mqtt.connectAsync(hub.mqttUrl, { clientId: 'adapters-mqtt-cmp', ...s.gateway });
      // The same alarm from an MQTT smoke sensor: its reading and its alarm event.
      await client.publishAsync(deviceTopic({ communityId: 'c1', kind: 'smoke', deviceId: 'mqtt-smoke-1', channel: 'telemetry' }), JSON.stringify({ smoke_obscuration_pct_per_m: 15, ts: t0 + 1000, seq: 2 }), { qos: 1 });
      await client.publishAsync(deviceTopic({ communityId: 'c1', kind: 'smoke', deviceId: 'mqtt-smoke-1', channel: 'event' }), JSON.stringify({ type: 'alarm', ts: t0 + 1000, seq: 2 }), { qos: 1 });
      await client.endAsync();
      const viaMqtt = await waitFor(async () => {
        const a = await openAlert('mqtt-smoke-1');
        return a && a.count === 2 ? a : undefined;
      }, { what: 'MQTT fire alarm, reading and event' });
      const viaCtwing = (await openAlert(SMOKE_IMEI))!;
      const shape = (a: Alert) => ({ kind: a.kind, type: a.type, severity: a.severity, state: a.state, count: a.count, communityId: a.communityId, gridCellId: a.gridCellId });
      expect(shape(viaCtwing)).toEqual(shape(viaMqtt));
      // The event is stored with the device's own packet number as its seq.
      const events = await waitFor(async () => {
        const body = (await (await s.fetch(`${hub.httpUrl}/api/devices/${SMOKE_IMEI}/events?from=${t0 - 1000}&to=${Date.now()}`)).json()) as { events: { type: string; seq?: number }[] };
        return body.events.length > 0 ? body.events : undefined;
      }, { what: 'stored alarm event' });
      expect(events).toMatchObject([{ type: 'alarm', seq: 2 }]);
    } finally {
      ws.close();
    }
  });

  it('a replayed upPacketSN is acknowledged but neither stored again nor counted again on the alert', async () => {
    const before = (await openAlert(SMOKE_IMEI))!.count;
    const body = JSON.stringify(ctwing.eventReport({ productId: SMOKE_PRODUCT, deviceId: `${SMOKE_PRODUCT}${SMOKE_IMEI}`, imei: SMOKE_IMEI, sn: 2, ts: t0 + 1000, serviceId: 1001, eventType: 2, serviceData: { smoke_state: 1, smoke_value: 1500 } }));
    const again = await post(smokeUrl, body);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ ok: true, stored: 0, replayed: 1 });
    const data = JSON.stringify(ctwing.dataReport({ productId: SMOKE_PRODUCT, deviceId: `${SMOKE_PRODUCT}${SMOKE_IMEI}`, imei: SMOKE_IMEI, sn: 1, ts: t0, serviceData: { battery_value: 88 } }));
    expect((await post(smokeUrl, data)).json).toMatchObject({ stored: 0, replayed: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect((await openAlert(SMOKE_IMEI))!.count).toBe(before);
    expect(await points(SMOKE_IMEI, 'battery_pct')).toHaveLength(1);
  });

  it('decodes a transparent product APPdata by its binary spec: gas concentration stored, leak alarm raised, the IMEI mapped to the hub id', async () => {
    const appData = Buffer.from([2, 0x01, 0x5e, 76, 0]); // high alarm, 35.0 %LEL, 76 %, valve open
    const r = await post(gasUrl, JSON.stringify(ctwing.dataReport({ productId: GAS_PRODUCT, deviceId: `${GAS_PRODUCT}${GAS_IMEI}`, imei: GAS_IMEI, sn: 7, ts: t0 + 2000, appData })), { 'x-hub-token': TOKENS.CTWING_GAS_TOKEN });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({ stored: 2 });
    const lel = await waitFor(async () => ((await points('gas-kitchen-101', 'lel_pct')).length ? points('gas-kitchen-101', 'lel_pct') : undefined), { what: 'gas point' });
    expect(lel).toEqual([{ ts: t0 + 2000, value: 35 }]);
    const alert = await waitFor(() => openAlert('gas-kitchen-101'), { what: 'gas leak alert' });
    expect(alert).toMatchObject({ kind: 'gas', type: 'gas_leak', severity: 'critical' });
  });

  it('deviceOnlineOfflineReport sets the device status', async () => {
    const off = await post(smokeUrl, JSON.stringify(ctwing.onlineOffline({ productId: SMOKE_PRODUCT, deviceId: `${SMOKE_PRODUCT}${SMOKE_IMEI}`, imei: SMOKE_IMEI, ts: Date.now(), online: false })));
    expect(off.status).toBe(200);
    const device = async () => ((await (await s.fetch(`${hub.httpUrl}/api/devices/${SMOKE_IMEI}`)).json()) as { device?: { online: boolean }; online?: boolean });
    const online = async () => {
      const d = await device();
      return d.device?.online ?? d.online;
    };
    expect(await online()).toBe(false);
    await post(smokeUrl, JSON.stringify(ctwing.onlineOffline({ productId: SMOKE_PRODUCT, deviceId: `${SMOKE_PRODUCT}${SMOKE_IMEI}`, imei: SMOKE_IMEI, ts: Date.now(), online: true })));
    expect(await online()).toBe(true);
  });

  it('refuses an unknown product (404), a wrong token (401), an unknown device (404) and unmappable or invalid payloads (422), counted by reason, nothing stored', async () => {
    const rejectedBefore = await rejected();
    const report = (over: Partial<Parameters<typeof ctwing.dataReport>[0]>) =>
      JSON.stringify(ctwing.dataReport({ productId: SMOKE_PRODUCT, deviceId: `${SMOKE_PRODUCT}${SMOKE_IMEI}`, imei: SMOKE_IMEI, sn: 100, ts: t0 + 5000, serviceData: { battery_value: 50 }, ...over }));
    expect((await post(`${hub.httpUrl}/api/ingest/ctwing/99999999?token=x`, report({}))).status).toBe(404);
    expect((await post(`${hub.httpUrl}/api/ingest/ctwing/${SMOKE_PRODUCT}?token=wrong`, report({}))).status).toBe(401);
    expect((await post(`${hub.httpUrl}/api/ingest/ctwing/${SMOKE_PRODUCT}`, report({}))).status).toBe(401);
    expect((await post(smokeUrl, report({ imei: '860000000000000', deviceId: 'nobody' }))).status).toBe(404);
    const unmappable = await post(smokeUrl, report({ sn: 101, serviceData: { firmware: 'v2' } }));
    expect(unmappable.status).toBe(422);
    expect(unmappable.json.error).toBe('UNMAPPABLE');
    // Battery 250 % is out of the kind's range: the whole report is refused, temperature too.
    const invalid = await post(smokeUrl, report({ sn: 102, serviceData: { battery_value: 250, temperature: 30, smoke_state: 1 } }));
    expect(invalid.status).toBe(422);
    expect(invalid.json.error).toBe('INVALID_PAYLOAD');
    expect((await post(smokeUrl, '{"messageType":')).status).toBe(422);
    const after = await rejected();
    const grew = (reason: string) => (after.byReason[reason] ?? 0) - (rejectedBefore.byReason[reason] ?? 0);
    expect(grew('unknown_product')).toBe(1);
    expect(grew('bad_signature')).toBe(2);
    expect(grew('unknown_device')).toBe(1);
    expect(grew('unmappable')).toBe(1);
    expect(grew('invalid_payload')).toBe(1);
    expect(grew('not_json')).toBe(1);
    expect(after.recent[0]!.topic).toBe(`ctwing/${SMOKE_PRODUCT}`);
    await new Promise((r) => setTimeout(r, 300));
    expect((await points(SMOKE_IMEI, 'temperature_c')).map((p) => p.value)).toEqual([23.5]);
    // and the refused packet numbers were not marked seen: corrected, they are taken
    expect((await post(smokeUrl, report({ sn: 102, serviceData: { battery_value: 25 } }))).json).toMatchObject({ stored: 1 });
  });

  it('300 sequential pushes are each acknowledged after its spool write, and all stored (answer time is measured, not asserted: speed belongs in the bench)', async () => {
    const times: number[] = [];
    // Within one device's burst (200): more in a rush than its budget allows is, rightly, a 429.
    const n = 180;
    for (let i = 0; i < n; i++) {
      const body = JSON.stringify(ctwing.dataReport({ productId: SMOKE_PRODUCT, deviceId: 'nb-smoke-bench', sn: 1000 + i, ts: t0 - 400_000 + i * 1000, serviceData: { battery_value: 50 + (i % 40), rsrp: -90 } }));
      const r = await post(smokeUrl, body);
      expect(r.status).toBe(200);
      times.push(r.ms);
    }
    const p50 = percentile(times, 50);
    const p99 = percentile(times, 99);
    console.log(`CTWing push answer time over ${n} sequential pushes: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`);
    const stored = await waitFor(async () => ((await points('nb-smoke-bench', 'battery_pct')).length === n ? n : undefined), { what: 'bench points stored', timeoutMs: 20_000 });
    expect(stored).toBe(n);
  });

  async function rejected(): Promise<{ byReason: Record<string, number>; recent: { topic: string; reason: string }[] }> {
    return (await (await s.fetch(`${hub.httpUrl}/api/ingest/rejected`)).json()) as { byReason: Record<string, number>; recent: { topic: string; reason: string }[] };
  }
});
