import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFleet } from '../../simulators/src/fleet.ts';
import { runSimulation } from '../../simulators/src/run.ts';
import type { Hub } from '../../server/src/hub.ts';
import { SqliteTelemetryStore } from '../../server/src/store/sqlite.ts';
import { startHub } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import { verifyStored } from '../helpers/traffic.ts';
import { adminSession, type HubSession } from '../helpers/auth.ts';

const stored = (hub: Hub) => {
  const s = hub.store as SqliteTelemetryStore;
  return s.count('telemetry') + s.count('events');
};

describe('ingest through the embedded broker into the embedded store', () => {
  let hub: Hub;
  let s: HubSession;
  beforeAll(async () => {
    // The fuzz case below hammers eight device ids as fast as it can; the per-device rate limit has its own test.
    hub = await startHub({ deviceRateLimit: 0 });
    s = await adminSession(hub.httpUrl);
  });
  afterAll(async () => hub?.stop());

  it('stores exactly the N messages sent, values intact', async () => {
    const fleet = buildFleet({ devices: 200, seed: 3, idPrefix: 'emb' });
    const summary = await runSimulation({ mqttUrl: hub.mqttUrl, devices: fleet, rate: 2000, qos: 1, count: 5000, record: true, announce: true, eventShare: 0.05, ...s.gateway });
    expect(summary.acked).toBe(5000);
    await waitFor(() => stored(hub) === 5000 || undefined, { what: '5000 points stored' });
    expect(await verifyStored(hub.store, summary.messages!)).toEqual([]);
    const res = await s.fetch(`${hub.httpUrl}/api/devices?limit=1000`);
    const body = (await res.json()) as { total: number; devices: { id: string; provisioned: boolean; online: boolean }[] };
    expect(body.total).toBe(200);
    expect(body.devices.every((d) => d.online && !d.provisioned)).toBe(true);
  });

  it('rejects 10,000 malformed messages among 1,000 valid ones, stores all valid ones and stays up', async () => {
    const before = stored(hub);
    const client = await mqtt.connectAsync(hub.mqttUrl, { clientId: 'fuzz-publisher', ...s.gateway });
    const hostile = [
      (i: number) => ['community/c1/smoke/bad-1/telemetry', '{"battery_pct":'] as const, // not JSON
      (i: number) => ['community/c1/smoke/bad-2/telemetry', JSON.stringify({ battery_pct: 150 + i })] as const, // out of range
      (i: number) => ['community/c1/smoke/bad-3/telemetry', JSON.stringify({ temperature_c: 'hot' })] as const, // wrong type
      (i: number) => ['community/c1/smoke/bad-4/telemetry', JSON.stringify({ note: 'x'.repeat(17 * 1024) })] as const, // oversized
      (i: number) => ['community/c1/toaster/t1/telemetry', '{}'] as const, // unknown kind
      (i: number) => ['community/c1/smoke/bad id/telemetry', '{}'] as const, // bad id
      (i: number) => [`community/c1/smoke/bad-5/telemetry/${i}`, '{}'] as const, // wrong depth
      (i: number) => ['community/c1/smoke/bad-6/event', JSON.stringify({ type: 'explode' })] as const, // unknown event type
      (i: number) => ['community/c1/smoke/bad-7/telemetry', '[1,2,3]'] as const, // not an object
      (i: number) => ['community/c1/smoke/bad-8/telemetry', '\u0000\uffff<script>'] as const, // garbage
    ];
    const valid = buildFleet({ devices: 50, seed: 9, idPrefix: 'mix' });
    const sentValid: { topic: string; body: Record<string, unknown>; publishedAt: number }[] = [];
    let published = 0;
    for (let i = 0; i < 11_000; i++) {
      let topic: string;
      let payload: string;
      if (i % 11 === 10) {
        const d = valid[(i / 11) % valid.length | 0]!;
        const body = { ts: Date.now(), seq: ++d.seq, battery_pct: 50 };
        topic = `community/${d.communityId}/${d.kind}/${d.id}/telemetry`;
        payload = JSON.stringify(d.kind === 'camera' ? { ...body, battery_pct: undefined, fps: 25 } : d.kind === 'fire_station' ? { ...body, battery_pct: undefined, staff_on_duty: 1 } : body);
        sentValid.push({ topic, body: JSON.parse(payload), publishedAt: Date.now() });
      } else {
        [topic, payload] = hostile[i % hostile.length]!(i);
      }
      await client.publishAsync(topic, payload, { qos: 1 });
      published++;
    }
    await client.endAsync();
    expect(published).toBe(11_000);
    expect(sentValid).toHaveLength(1000);
    await waitFor(() => stored(hub) - before === 1000 || undefined, { what: '1000 valid points stored' });
    expect(hub.rejects.total()).toBe(10_000);
    expect(await verifyStored(hub.store, sentValid)).toEqual([]);

    const rejected = (await (await s.fetch(`${hub.httpUrl}/api/ingest/rejected?limit=20`)).json()) as { total: number; byReason: Record<string, number>; recent: unknown[] };
    expect(rejected.total).toBe(10_000);
    expect(rejected.recent).toHaveLength(20);
    expect(Object.keys(rejected.byReason).sort()).toEqual(['bad_id', 'invalid_payload', 'not_json', 'not_object', 'oversized', 'unknown_kind', 'unknown_topic'].sort());
    const metrics = await (await fetch(`${hub.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/hub_messages_rejected_total\{reason="oversized"\} 1000/);
    expect((await fetch(`${hub.httpUrl}/healthz`)).status).toBe(200);
  });

  it('refuses a topic that contradicts a registered device (spoofed kind or community)', async () => {
    const client = await mqtt.connectAsync(hub.mqttUrl, { clientId: 'spoofer', ...s.gateway });
    const before = hub.rejects.counts.get('device_mismatch') ?? 0;
    await client.publishAsync('community/c1/smoke/spoof-1/telemetry', '{"battery_pct":50}', { qos: 1 });
    await client.publishAsync('community/c9/smoke/spoof-1/telemetry', '{"battery_pct":50}', { qos: 1 });
    await client.publishAsync('community/c1/gate/spoof-1/telemetry', '{"locked":true}', { qos: 1 });
    await client.endAsync();
    await waitFor(() => (hub.rejects.counts.get('device_mismatch') ?? 0) - before === 2 || undefined, { what: '2 mismatches' });
    expect(hub.registry.get('spoof-1')).toMatchObject({ kind: 'smoke', communityId: 'c1' });
  });

  it('tracks online/offline from the status topic and the last will', async () => {
    const will = await mqtt.connectAsync(hub.mqttUrl, {
      clientId: 'gate-with-will',
      ...s.gateway,
      will: { topic: 'community/c1/gate/will-gate/status', payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    await will.publishAsync('community/c1/gate/will-gate/status', 'online', { qos: 1, retain: true });
    await waitFor(() => hub.registry.get('will-gate')?.online === true || undefined, { what: 'gate online' });
    will.stream.destroy(); // an ungraceful drop fires the last will
    await waitFor(() => hub.registry.get('will-gate')?.online === false || undefined, { what: 'gate offline by last will' });
  });

  it('a last word sent before the last will, arriving just after it on the other lane, does not bring the device back', () => {
    const t = Date.now();
    hub.pipeline.handle('community/c1/gate/lw-gate/status', Buffer.from('online'), t);
    hub.pipeline.handle('community/c1/gate/lw-gate/status', Buffer.from('offline'), t + 10);
    hub.pipeline.handle('community/c1/gate/lw-gate/telemetry', Buffer.from(JSON.stringify({ ts: t + 5, locked: true })), t + 20);
    expect(hub.registry.get('lw-gate')?.online).toBe(false);
    // Anything the device says after its will brings it back.
    hub.pipeline.handle('community/c1/gate/lw-gate/telemetry', Buffer.from(JSON.stringify({ ts: t + 3000, locked: true })), t + 3000);
    expect(hub.registry.get('lw-gate')?.online).toBe(true);
  });
});
