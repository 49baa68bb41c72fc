import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredPoint, TelemetryStore } from '../../server/src/store/types.ts';

/**
 * The contract every TelemetryStore passes (in the spirit of aedes-persistence/abstract.js):
 * write, range query, aggregation window, event query, idempotent rewrites, latest readings.
 */
export function storeContract(name: string, makeStore: () => Promise<TelemetryStore>): void {
  describe(`TelemetryStore contract: ${name}`, () => {
    let store: TelemetryStore;
    // Relative to now (InfluxDB refuses points past its raw retention), on an hour boundary
    // so the aggregation windows line up.
    const T0 = Math.floor((Date.now() - 24 * 3_600_000) / 3_600_000) * 3_600_000;
    const point = (over: Partial<StoredPoint>): StoredPoint => ({
      m: 't', d: 'smoke-1', k: 'smoke', c: 'c1', g: 'g1', ts: T0, rx: T0, r: {}, ...over,
    });

    beforeAll(async () => {
      store = await makeStore();
      await store.start();
      const points: StoredPoint[] = [];
      // 60 readings, one every 10 s over 10 minutes; temperature climbs by 1 each minute.
      for (let i = 0; i < 60; i++) {
        points.push(point({ ts: T0 + i * 10_000, seq: i, r: { temperature_c: 20 + Math.floor(i / 6), battery_pct: 90, smoke_obscuration_pct_per_m: 0.1 } }));
      }
      points.push(point({ d: 'gate-1', k: 'gate', ts: T0 + 1000, seq: 1, r: { door: 'open', locked: false, passes_total: 5 } }));
      points.push(point({ m: 'e', d: 'smoke-1', ts: T0 + 30_000, seq: 100, ty: 'alarm', r: { level: 3 }, x: { note: 'kitchen' } }));
      points.push(point({ m: 'e', d: 'gate-1', k: 'gate', c: 'c2', ts: T0 + 40_000, seq: 2, ty: 'door_forced', r: {} }));
      await store.write(points);
    });
    afterAll(async () => {
      await store?.stop();
    });

    it('reads back a time range with values intact, oldest first', async () => {
      const rows = await store.queryRaw({ deviceId: 'smoke-1', kind: 'smoke', from: T0 + 100_000, to: T0 + 200_000, limit: 1000 });
      expect(rows.map((r) => r.seq)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
      expect(rows[0]).toEqual({ ts: T0 + 100_000, seq: 10, readings: { temperature_c: 21, battery_pct: 90, smoke_obscuration_pct_per_m: 0.1 } });
    });

    it('reads one field, and keeps strings and booleans', async () => {
      const rows = await store.queryRaw({ deviceId: 'smoke-1', kind: 'smoke', field: 'temperature_c', from: T0, to: T0 + 15_000, limit: 10 });
      expect(rows.map((r) => r.readings)).toEqual([{ temperature_c: 20 }, { temperature_c: 20 }]);
      const gate = await store.queryRaw({ deviceId: 'gate-1', kind: 'gate', from: T0, to: T0 + 5000, limit: 10 });
      expect(gate).toEqual([{ ts: T0 + 1000, seq: 1, readings: { door: 'open', locked: false, passes_total: 5 } }]);
    });

    it('aggregates a field per window', async () => {
      const rows = await store.queryAggregate({ deviceId: 'smoke-1', kind: 'smoke', field: 'temperature_c', from: T0, to: T0 + 599_999, everyMs: 60_000, limit: 100 });
      expect(rows).toHaveLength(10);
      expect(rows.map((r) => r.ts)).toEqual(Array.from({ length: 10 }, (_, i) => T0 + i * 60_000));
      expect(rows.map((r) => r.value)).toEqual(Array.from({ length: 10 }, (_, i) => 20 + i));
    });

    it('queries events by device, community and type', async () => {
      const all = await store.queryEvents({ from: T0, to: T0 + 600_000, limit: 10 });
      expect(all.map((e) => e.type)).toEqual(['door_forced', 'alarm']);
      const alarm = await store.queryEvents({ deviceId: 'smoke-1', from: T0, to: T0 + 600_000, limit: 10 });
      expect(alarm).toEqual([
        { deviceId: 'smoke-1', kind: 'smoke', communityId: 'c1', ts: T0 + 30_000, seq: 100, type: 'alarm', readings: { level: 3 }, detail: { note: 'kitchen' } },
      ]);
      expect(await store.queryEvents({ communityId: 'c2', from: T0, to: T0 + 600_000, limit: 10 })).toHaveLength(1);
      expect(await store.queryEvents({ type: 'alarm', from: T0, to: T0 + 600_000, limit: 10 })).toHaveLength(1);
      expect(await store.queryEvents({ from: T0 + 50_000, to: T0 + 600_000, limit: 10 })).toHaveLength(0);
    });

    it('is idempotent: rewriting the same device, ts and seq does not duplicate', async () => {
      const again = point({ ts: T0 + 100_000, seq: 10, r: { temperature_c: 21, battery_pct: 90, smoke_obscuration_pct_per_m: 0.1 } });
      await store.write([again, again]);
      const rows = await store.queryRaw({ deviceId: 'smoke-1', kind: 'smoke', from: T0 + 100_000, to: T0 + 100_000, limit: 10 });
      expect(rows).toHaveLength(1);
    });

    it('keeps distinct seqs at the same ts apart', async () => {
      await store.write([point({ d: 'smoke-2', ts: T0, seq: 1, r: { battery_pct: 1 } }), point({ d: 'smoke-2', ts: T0, seq: 2, r: { battery_pct: 2 } })]);
      const rows = await store.queryRaw({ deviceId: 'smoke-2', kind: 'smoke', from: T0, to: T0, limit: 10 });
      expect(rows.map((r) => r.readings.battery_pct).sort()).toEqual([1, 2]);
    });

    it('keeps points without seq apart by the hub receive number u, shows no seq for them, and a rewrite of one stays one', async () => {
      const points = Array.from({ length: 5 }, (_, u) => point({ d: 'smoke-3', ts: T0 + 7, u, r: { battery_pct: 50 } }));
      await store.write(points);
      await store.write([points[2]!]);
      const rows = await store.queryRaw({ deviceId: 'smoke-3', kind: 'smoke', from: T0, to: T0 + 10, limit: 10 });
      expect(rows).toEqual(Array.from({ length: 5 }, () => ({ ts: T0 + 7, readings: { battery_pct: 50 } })));
      const events = Array.from({ length: 3 }, (_, u) => point({ m: 'e', d: 'smoke-3', ts: T0 + 7, u, ty: 'test', r: {} }));
      await store.write([...events, events[0]!]);
      const stored = await store.queryEvents({ deviceId: 'smoke-3', from: T0, to: T0 + 10, limit: 10 });
      expect(stored).toHaveLength(3);
      expect(stored.every((e) => e.seq === undefined)).toBe(true);
    });

    it('reads extras back under their own names, even those named like tags or reserved fields, whatever their type', async () => {
      const r = { device: 1, community: true, seq: 3, detail: 4, time: 5, battery_pct: 6 };
      await store.write([point({ d: 'smoke-4', ts: T0 + 9, seq: 1, r }), point({ d: 'smoke-5', ts: T0 + 9, seq: 1, r: { device: false, community: 2 } })]);
      expect(await store.queryRaw({ deviceId: 'smoke-4', kind: 'smoke', from: T0, to: T0 + 10, limit: 10 })).toEqual([{ ts: T0 + 9, seq: 1, readings: r }]);
      expect(await store.queryRaw({ deviceId: 'smoke-5', kind: 'smoke', from: T0, to: T0 + 10, limit: 10 })).toEqual([{ ts: T0 + 9, seq: 1, readings: { device: false, community: 2 } }]);
      // Neither hides smoke-1 (the field "device" once took the tag's place in InfluxDB queries).
      expect(await store.queryRaw({ deviceId: 'smoke-1', kind: 'smoke', from: T0, to: T0 + 10_000, limit: 10 })).toHaveLength(2);
      const one = await store.queryRaw({ deviceId: 'smoke-4', kind: 'smoke', field: 'device', from: T0, to: T0 + 10, limit: 10 });
      expect(one.map((row) => row.readings.device)).toEqual([1]);
    });

    it('gives the last value of every reading a device reported, each with its own ts, from telemetry only', async () => {
      await store.write([
        point({ d: 'smoke-9', ts: T0 + 1000, seq: 1, r: { temperature_c: 21, battery_pct: 80, wiring_v: 3.1, tamper: true, flip: 1, device: 7, label: 'kitchen' } }),
        point({ d: 'smoke-9', ts: T0 + 3000, seq: 3, r: { temperature_c: 23, flip: false } }),
        // Arrives last but is older: the newest ts wins, not the newest write.
        point({ d: 'smoke-9', ts: T0 + 2000, seq: 2, r: { temperature_c: 22, battery_pct: 79 } }),
        point({ m: 'e', d: 'smoke-9', ts: T0 + 4000, seq: 4, ty: 'alarm', r: { temperature_c: 99, level: 3 } }),
      ]);
      expect(await store.latest('smoke', 'smoke-9')).toEqual({
        temperature_c: { value: 23, ts: T0 + 3000 },
        battery_pct: { value: 79, ts: T0 + 2000 },
        wiring_v: { value: 3.1, ts: T0 + 1000 },
        tamper: { value: true, ts: T0 + 1000 },
        flip: { value: false, ts: T0 + 3000 },
        device: { value: 7, ts: T0 + 1000 },
        label: { value: 'kitchen', ts: T0 + 1000 },
      });
      expect(await store.latest('gate', 'gate-1')).toEqual({
        door: { value: 'open', ts: T0 + 1000 },
        locked: { value: false, ts: T0 + 1000 },
        passes_total: { value: 5, ts: T0 + 1000 },
      });
      expect(await store.latest('smoke', 'smoke-none')).toEqual({});
    });

    it('answers ping', async () => {
      expect(await store.ping()).toBe(true);
    });
  });
}
