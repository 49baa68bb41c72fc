import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredPoint } from '../../server/src/store/types.ts';
import type { Hub } from '../../server/src/hub.ts';
import { adminSession, type HubSession } from '../helpers/auth.ts';
import { startHub } from '../helpers/hub.ts';
import { useMosquittoAndInflux } from '../helpers/real-services.ts';
import { eventsOf, publishAll, settleAt, telemetryOf } from './store-helpers.ts';

/**
 * Issue 13 item 5: `ts` and `seq` are optional, and messages without them used to share one
 * identity (100 acknowledged → 3 stored). Each case is one device's burst of identical payloads.
 */
function identityCases(get: () => { hub: Hub; s: HubSession }, prefix: string) {
  const topic = (id: string, channel = 'telemetry') => `community/c1/smoke/${prefix}-${id}/${channel}`;

  it('100 telemetry messages without ts or seq become 100 points, none showing an invented seq', async () => {
    const { hub, s } = get();
    await publishAll(hub, s, Array.from({ length: 100 }, () => [topic('nots'), '{"battery_pct":50}'] as [string, string]));
    const points = await settleAt(hub, () => telemetryOf(hub, s, `${prefix}-nots`), 100, '100 points without ts or seq');
    expect(points).toHaveLength(100);
    expect(points.every((p) => p.seq === undefined && p.readings.battery_pct === 50)).toBe(true);
  });

  it('100 telemetry messages with one ts and no seq become 100 points, all at that ts', async () => {
    const { hub, s } = get();
    const ts = Date.now() - 60_000;
    await publishAll(hub, s, Array.from({ length: 100 }, () => [topic('samets'), JSON.stringify({ ts, battery_pct: 51 })] as [string, string]));
    const points = await settleAt(hub, () => telemetryOf(hub, s, `${prefix}-samets`), 100, '100 points at one ts');
    expect(points).toHaveLength(100);
    expect(points.every((p) => p.ts === ts && p.seq === undefined)).toBe(true);
  });

  it('20 events without ts or seq, and 20 at one ts, become 20 each', async () => {
    const { hub, s } = get();
    const ts = Date.now() - 30_000;
    await publishAll(hub, s, [
      ...Array.from({ length: 20 }, () => [topic('ev-nots', 'event'), '{"type":"test"}'] as [string, string]),
      ...Array.from({ length: 20 }, () => [topic('ev-samets', 'event'), JSON.stringify({ type: 'test', ts })] as [string, string]),
    ]);
    expect(await settleAt(hub, () => eventsOf(hub, s, `${prefix}-ev-nots`), 20, '20 events without ts')).toHaveLength(20);
    const same = await settleAt(hub, () => eventsOf(hub, s, `${prefix}-ev-samets`), 20, '20 events at one ts');
    expect(same).toHaveLength(20);
    expect(same.every((e) => e.ts === ts && e.seq === undefined)).toBe(true);
  });

  it('keeps (device, ts, seq) as the identity when the device sends them: a repeat overwrites', async () => {
    const { hub, s } = get();
    const ts = Date.now() - 10_000;
    await publishAll(hub, s, [
      ...Array.from({ length: 10 }, (_, i) => [topic('seq'), JSON.stringify({ ts, seq: i, battery_pct: 60 })] as [string, string]),
      [topic('seq'), JSON.stringify({ ts, seq: 3, battery_pct: 61 })],
    ]);
    const points = await settleAt(hub, () => telemetryOf(hub, s, `${prefix}-seq`), 10, '10 points with seq');
    expect(points.map((p) => p.seq).sort((a, b) => a! - b!)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a replay of the spooled lines (as after a crash) lands on the same points', async () => {
    const { hub, s } = get();
    const dir = path.join(hub.config.dataDir, 'spool');
    const spooled: StoredPoint[] = [];
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.log'))) {
      for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
        if (line.includes(`"${prefix}-nots"`) || line.includes(`"${prefix}-ev-samets"`)) spooled.push(JSON.parse(line) as StoredPoint);
      }
    }
    expect(spooled).toHaveLength(120);
    // The identity is in the line itself: a replay cannot draw new numbers.
    expect(new Set(spooled.map((p) => `${p.d}/${p.u}`)).size).toBe(120);
    await hub.store.write(spooled);
    await hub.store.write(spooled.slice(0, 60));
    expect(await telemetryOf(hub, s, `${prefix}-nots`)).toHaveLength(100);
    expect(await eventsOf(hub, s, `${prefix}-ev-samets`)).toHaveLength(20);
  });
}

describe('message identity: embedded broker and embedded store', () => {
  let hub: Hub;
  let s: HubSession;
  beforeAll(async () => {
    hub = await startHub({ deviceRateLimit: 0 });
    s = await adminSession(hub.httpUrl);
  });
  afterAll(async () => hub?.stop());
  identityCases(() => ({ hub, s }), 'sq');
});

describe('message identity: Mosquitto and InfluxDB', () => {
  const env = useMosquittoAndInflux();
  let hub: Hub;
  let s: HubSession;
  beforeAll(async () => {
    hub = await env.hub('identity', { deviceRateLimit: 0 });
    s = await adminSession(hub.httpUrl);
  });
  identityCases(() => ({ hub, s }), 'ix');
});
