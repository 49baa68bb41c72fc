import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../server/src/hub.ts';
import { adminSession, type HubSession } from '../helpers/auth.ts';
import { startHub } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import { useMosquittoAndInflux } from '../helpers/real-services.ts';
import { influxQuery } from '../helpers/services.ts';
import { eventsOf, metric, publishAll, rejectedOf, settleAt, telemetryOf } from './store-helpers.ts';

/**
 * Issue 13 item 6 and the attacks tried after it: one device's payload must not hide, refuse or
 * reshape any other device's data in the store. Run against both stores through the hub.
 */
function poisoningCases(get: () => { hub: Hub; s: HubSession }, prefix: string) {
  const t = (id: string, channel = 'telemetry', kind = 'smoke') => `community/c1/${kind}/${prefix}-${id}/${channel}`;
  const id = (name: string) => `${prefix}-${name}`;

  it('an extra named like a tag ({"device":1}) or a reserved field does not blind queries of other devices', async () => {
    const { hub, s } = get();
    const now = Date.now();
    await publishAll(hub, s, [[t('evil'), JSON.stringify({ device: 1, community: 2, kind: 3, cell: 4, type: 5, detail: 6, time: 7, battery_pct: 40 })]]);
    await settleAt(hub, () => telemetryOf(hub, s, id('evil')), 1, 'the attacker point');
    const victims = ['v1', 'v2', 'v3'];
    await publishAll(hub, s, victims.flatMap((v) => Array.from({ length: 5 }, (_, i) => [t(v), JSON.stringify({ ts: now - 5000 + i, seq: i, battery_pct: 90, temperature_c: 20 + i })] as [string, string])));
    for (const v of victims) {
      const points = await settleAt(hub, () => telemetryOf(hub, s, id(v)), 5, `victim ${v}`);
      expect(points.map((p) => p.readings)).toEqual(Array.from({ length: 5 }, (_, i) => ({ battery_pct: 90, temperature_c: 20 + i })));
      const field = await telemetryOf(hub, s, id(v), '&field=temperature_c');
      expect(field.map((p) => (p as unknown as { value: number }).value)).toEqual([20, 21, 22, 23, 24]);
    }
    // The attacker's own extras are kept, under their own names, and read back as sent.
    const [own] = await telemetryOf(hub, s, id('evil'));
    // (`type` is envelope, ignored in telemetry as before.)
    expect(own!.readings).toEqual({ device: 1, community: 2, kind: 3, cell: 4, detail: 6, time: 7, battery_pct: 40 });
  });

  it('an event extra cannot fix a type for everyone ({"type":"test","detail":1}, then strings and booleans)', async () => {
    const { hub, s } = get();
    await publishAll(hub, s, [
      [t('evt-evil', 'event'), JSON.stringify({ type: 'test', detail: 1, level: 1 })],
      [t('evt-evil2', 'event'), JSON.stringify({ type: 'test', level: true })],
    ]);
    await settleAt(hub, () => eventsOf(hub, s, id('evt-evil2')), 1, 'the second attacker event');
    await publishAll(hub, s, [
      [t('evt-v1', 'event'), JSON.stringify({ type: 'alarm', detail: 'kitchen', level: 'high', note: 'smoke in kitchen' })],
      [t('evt-v2', 'event', 'gate'), JSON.stringify({ type: 'access_denied', direction: 'in', credential_hash: 'ab12', level: 2.5 })],
    ]);
    const [v1] = await settleAt(hub, () => eventsOf(hub, s, id('evt-v1')), 1, 'victim event 1');
    expect(v1).toMatchObject({ type: 'alarm', readings: {}, detail: { detail: 'kitchen', level: 'high', note: 'smoke in kitchen' } });
    const [v2] = await settleAt(hub, () => eventsOf(hub, s, id('evt-v2')), 1, 'victim event 2');
    expect(v2).toMatchObject({ type: 'access_denied', readings: { level: 2.5 }, detail: { direction: 'in', credential_hash: 'ab12' } });
    const [evil] = await eventsOf(hub, s, id('evt-evil'));
    expect(evil).toMatchObject({ readings: { detail: 1, level: 1 } });
    const [evil2] = await eventsOf(hub, s, id('evt-evil2'));
    expect(evil2).toMatchObject({ readings: { level: true } });
    expect((await rejectedOf(hub, s)).recent.filter((r) => r.stage === 'store')).toEqual([]);
  });

  it('hostile field names, thousands of extras, Infinity and -0 change nothing for others', async () => {
    const { hub, s } = get();
    const many: Record<string, number> = {};
    for (let i = 0; i < 500; i++) many[`f${i}`] = i;
    await publishAll(hub, s, [
      // Line-protocol metacharacters in names: an injected line would write a point for the victim.
      [t('names'), JSON.stringify({ 'a b': 1, 'c,d': 2, 'e=f': 3, [`x=1 1\nsmoke,device=${id('inj')} battery_pct=0`]: 4, 'g"h': 5, '\\': 6, ok: 7, ['z'.repeat(65)]: 8 })],
      [t('many'), JSON.stringify(many)],
      [t('inf'), '{"foo":1e400,"bar":-1e400,"temperature_c":-0}'],
      [t('proto'), '{"__proto__":{"battery_pct":1},"constructor":1}'],
      [t('long', 'event'), JSON.stringify({ type: 'test', note: 'x'.repeat(15_000) })],
    ]);
    const [names] = await settleAt(hub, () => telemetryOf(hub, s, id('names')), 1, 'the point with hostile names');
    expect(names!.readings).toEqual({ ok: 7 });
    const [manyPoint] = await settleAt(hub, () => telemetryOf(hub, s, id('many')), 1, 'the point with 500 extras');
    expect(Object.keys(manyPoint!.readings)).toHaveLength(32);
    const [inf] = await settleAt(hub, () => telemetryOf(hub, s, id('inf')), 1, 'the point with Infinity');
    expect(inf!.readings).toEqual({ temperature_c: 0 });
    const [proto] = await settleAt(hub, () => telemetryOf(hub, s, id('proto')), 1, 'the point with __proto__');
    expect(proto!.readings).toEqual({ constructor: 1 });
    const [long] = await settleAt(hub, () => eventsOf(hub, s, id('long')), 1, 'the long event');
    expect((long!.detail.note as string).length).toBe(15_000);
    expect(await telemetryOf(hub, s, id('inj'))).toEqual([]);
  });
}

describe('one device cannot hurt others in the store: embedded broker and SQLite', () => {
  let hub: Hub;
  let s: HubSession;
  beforeAll(async () => {
    hub = await startHub({ deviceRateLimit: 0 });
    s = await adminSession(hub.httpUrl);
  });
  afterAll(async () => hub?.stop());
  poisoningCases(() => ({ hub, s }), 'sq');

  it('no point is refused by the embedded store, so nothing is dropped', async () => {
    expect(await metric(hub, 'hub_points_dropped_total')).toBe(0);
  });
});

describe('one device cannot hurt others in the store: Mosquitto and InfluxDB', () => {
  const env = useMosquittoAndInflux();
  let hub: Hub;
  let s: HubSession;
  beforeAll(async () => {
    hub = await env.hub('poison', { deviceRateLimit: 0 });
    s = await adminSession(hub.httpUrl);
  });
  poisoningCases(() => ({ hub, s }), 'ix');

  it('keeps the field set bounded and typed: no extra shares a key with a tag, a reserved field or another type', async () => {
    const keys = (await influxQuery(env.influx, 'SHOW FIELD KEYS FROM "smoke"', 'poison')) as [string, string][];
    const names = keys.map((k) => k[0]);
    for (const reserved of ['device', 'community', 'kind', 'cell', 'type', 'time']) expect(names).not.toContain(reserved);
    expect(names.filter((n) => n.startsWith('xn_f'))).toHaveLength(32);
    const events = (await influxQuery(env.influx, 'SHOW FIELD KEYS FROM "events"', 'poison')) as [string, string][];
    expect(Object.fromEntries(events)).toMatchObject({ detail: 'string', xn_detail: 'float', xn_level: 'float', xb_level: 'boolean' });
  });

  it('a field type already fixed in InfluxDB (data from before the upgrade) refuses only the conflicting points, each listed and counted', async () => {
    const t = (name: string, channel = 'telemetry') => `community/c1/smoke/ix-${name}/${channel}`;
    const id = (name: string) => `ix-${name}`;
    // What the old hub wrote after {"type":"test","detail":1}: "detail" as a float, in a day
    // shard that no test has written an event to yet (InfluxDB fixes a field's type per shard).
    const now = Date.now() - 3 * 86_400_000;
    const res = await fetch(`http://127.0.0.1:${env.influx.port}/write?db=poison&precision=ms`, { method: 'POST', body: `events,community=c0,device=old,kind=smoke,type=test detail=1,seq=-1 ${now - 1000}` });
    expect(res.status).toBe(204);
    const droppedBefore = await metric(hub, 'hub_points_dropped_total', { reason: 'type_conflict' });
    const storedBefore = await metric(hub, 'hub_points_stored_total');
    const messages: [string, string][] = [];
    for (let i = 0; i < 30; i++) {
      // Every third event carries a string detail: InfluxDB now refuses exactly those.
      const body = i % 3 === 0 ? { type: 'alarm', ts: now - 100 + i, seq: i, note: `n${i}` } : { type: 'test', ts: now - 100 + i, seq: i, level: i };
      messages.push([t('mixed', 'event'), JSON.stringify(body)]);
      messages.push([t('mixed-t'), JSON.stringify({ ts: now - 100 + i, seq: i, battery_pct: 70 })]);
    }
    await publishAll(hub, s, messages);
    const stored = await settleAt(hub, () => eventsOf(hub, s, id('mixed')), 20, '20 events without detail');
    expect(stored).toHaveLength(20);
    expect(stored.every((e) => e.seq! % 3 !== 0)).toBe(true);
    expect(await settleAt(hub, () => telemetryOf(hub, s, id('mixed-t')), 30, '30 telemetry points')).toHaveLength(30);
    await waitFor(async () => ((await metric(hub, 'hub_points_dropped_total', { reason: 'type_conflict' })) - droppedBefore === 10 ? true : undefined), { what: '10 refused points counted' });
    expect(await metric(hub, 'hub_points_stored_total')).toBe(storedBefore + 50);
    const refused = (await rejectedOf(hub, s)).recent.filter((r) => r.stage === 'store' && r.topic === t('mixed', 'event'));
    expect(refused).toHaveLength(10);
    expect(refused.every((r) => r.reason === 'type_conflict' && /field type conflict/.test(r.message))).toBe(true);
    expect(refused.map((r) => (JSON.parse(r.sample) as { seq: number }).seq).sort((a, b) => a - b)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    expect((await rejectedOf(hub, s)).byReason.type_conflict).toBe(10);
  });
});
