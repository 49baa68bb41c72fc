import path from 'node:path';
import * as Influx from 'influx';
import { afterAll, describe, expect, it } from 'vitest';
import { InfluxTelemetryStore } from '../../server/src/store/influx.ts';
import { SqliteTelemetryStore } from '../../server/src/store/sqlite.ts';
import type { StoredPoint } from '../../server/src/store/types.ts';
import { tempDataDir } from '../helpers/hub.ts';
import { influxQuery, startInflux, type Service } from '../helpers/services.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FIXED_T0 = Date.UTC(2026, 9, 1, 0, 0, 0);

/** One reading a minute for three hours: temperature = the hour index + minute/100. */
function threeHours(device: string, T0 = FIXED_T0): StoredPoint[] {
  const points: StoredPoint[] = [];
  for (let m = 0; m < 180; m++) {
    points.push({ m: 't', d: device, k: 'smoke', c: 'c1', g: null, ts: T0 + m * 60_000 + 5000, seq: m, rx: T0, r: { temperature_c: Math.floor(m / 60) + (m % 60) / 100 } });
  }
  return points;
}

describe('retention and rollups: embedded store', () => {
  it('rolls minutes and hours up exactly, answers wide windows from rollups, and drops raw past retention', async () => {
    const T0 = FIXED_T0;
    const store = new SqliteTelemetryStore(path.join(tempDataDir('retention'), 'telemetry.db'), { rawDays: 2, rollup1mDays: 10, rollup1hDays: 100 });
    await store.start();
    await store.write(threeHours('r1'));
    const before = await store.queryAggregate({ deviceId: 'r1', kind: 'smoke', field: 'temperature_c', from: T0, to: T0 + 3 * HOUR, everyMs: HOUR, limit: 10 });
    await store.maintain(T0 + 4 * HOUR);
    const fromRollups = await store.queryAggregate({ deviceId: 'r1', kind: 'smoke', field: 'temperature_c', from: T0, to: T0 + 3 * HOUR, everyMs: HOUR, limit: 10 });
    expect(fromRollups.map((r) => r.ts)).toEqual([T0, T0 + HOUR, T0 + 2 * HOUR]);
    expect(fromRollups.map((r) => r.value!.toFixed(4))).toEqual(before.map((r) => r.value!.toFixed(4)));
    expect(fromRollups[1]!.value).toBeCloseTo(1.295, 6);
    // Three days later raw rows are gone, the rollups still answer.
    await store.maintain(T0 + 3 * DAY);
    expect(await store.queryRaw({ deviceId: 'r1', kind: 'smoke', from: T0, to: T0 + 3 * HOUR, limit: 1000 })).toEqual([]);
    const later = await store.queryAggregate({ deviceId: 'r1', kind: 'smoke', field: 'temperature_c', from: T0, to: T0 + 3 * HOUR, everyMs: HOUR, limit: 10 });
    expect(later.map((r) => r.value!.toFixed(4))).toEqual(before.map((r) => r.value!.toFixed(4)));
    const minutes = await store.queryAggregate({ deviceId: 'r1', kind: 'smoke', field: 'temperature_c', from: T0, to: T0 + 3 * HOUR, everyMs: 60_000, limit: 1000 });
    expect(minutes).toHaveLength(180);
    await store.stop();
  });
});

describe('retention and rollups: InfluxDB', () => {
  let influx: Service | undefined;
  afterAll(async () => influx?.stop());

  it('creates the raw and rollup retention policies and continuous queries, and reads wide windows from rollups', async () => {
    influx = await startInflux('ret');
    const store = new InfluxTelemetryStore(influx.url.replace(/\/ret$/, '/ret'), { rawDays: 7, rollup1mDays: 90, rollup1hDays: 730 });
    await store.start();
    // InfluxDB refuses points older than the raw policy: use the last few hours.
    const T0 = Math.floor((Date.now() - 4 * HOUR) / HOUR) * HOUR;
    await store.write(threeHours('r2', T0));
    const policies = await influxQuery(influx, 'SHOW RETENTION POLICIES ON "ret"', 'ret');
    expect(policies.map((p) => [p[0], p[1], p[4]])).toEqual(
      expect.arrayContaining([
        ['raw', '168h0m0s', true],
        ['rollup_1m', '2160h0m0s', false],
        ['rollup_1h', '17520h0m0s', false],
      ]),
    );
    const cqs = await (await fetch(`http://127.0.0.1:${influx.port}/query?q=${encodeURIComponent('SHOW CONTINUOUS QUERIES')}`)).text();
    expect(cqs).toContain('cq_rollup_1m');
    expect(cqs).toContain('cq_rollup_1h');
    // Raw serves narrow windows; once a rollup holds the range, wide windows come from it.
    const raw = await store.queryAggregate({ deviceId: 'r2', kind: 'smoke', field: 'temperature_c', from: T0, to: T0 + 3 * HOUR, everyMs: HOUR, limit: 10 });
    expect(raw.map((r) => r.value!.toFixed(3))).toEqual(['0.295', '1.295', '2.295']);
    const direct = new Influx.InfluxDB({ host: '127.0.0.1', port: influx.port, database: 'ret' });
    await direct.writePoints(
      [{ measurement: 'smoke', tags: { device: 'r2', community: 'c1', kind: 'smoke' }, fields: { mean_temperature_c: 42 }, timestamp: new Date(T0) }],
      { retentionPolicy: 'rollup_1h', precision: 'ms' },
    );
    const wide = await store.queryAggregate({ deviceId: 'r2', kind: 'smoke', field: 'temperature_c', from: T0, to: T0 + 2 * DAY, everyMs: HOUR, limit: 100 });
    expect(wide).toEqual([{ ts: T0, value: 42 }]);
  });
});
