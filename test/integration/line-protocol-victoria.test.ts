import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxTelemetryStore } from '../../server/src/store/influx.ts';
import type { StoredPoint } from '../../server/src/store/types.ts';
import { waitFor } from '../helpers/ports.ts';
import { startVictoriaMetrics, type Service } from '../helpers/services.ts';

/**
 * The path to a city-sized store: the hub's InfluxDB writer, unchanged, against VictoriaMetrics,
 * which speaks the InfluxDB line protocol on /write; the data reads back through its own API.
 */
describe('InfluxDB line-protocol writer against VictoriaMetrics', () => {
  let vm: Service;
  beforeAll(async () => {
    vm = await startVictoriaMetrics();
  });
  afterAll(async () => vm?.stop());

  it('writes telemetry points that read back with their values, tags and times', async () => {
    const store = new InfluxTelemetryStore(vm.url);
    await store.start();
    const t0 = Date.now() - 60_000;
    const points: StoredPoint[] = [];
    for (let i = 0; i < 100; i++) {
      points.push({ m: 't', d: `vm-smoke-${i % 10}`, k: 'smoke', c: 'c1', g: 'g1', ts: t0 + i * 100, seq: i, rx: t0, r: { temperature_c: 20 + i / 10, battery_pct: 90 } });
    }
    await store.write(points);
    await fetch(`http://127.0.0.1:${vm.port}/internal/force_flush`);
    type Series = { metric: Record<string, string>; values: number[]; timestamps: number[] };
    const series = await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${vm.port}/api/v1/export?match[]=${encodeURIComponent('{__name__="smoke_temperature_c"}')}`);
      const lines = (await res.text()).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Series);
      return lines.reduce((n, s) => n + s.values.length, 0) === 100 ? lines : undefined;
    }, { what: '100 values in VictoriaMetrics', timeoutMs: 30_000, intervalMs: 500 });
    const s3 = series.find((s) => s.metric.device === 'vm-smoke-3')!;
    expect(s3.metric).toMatchObject({ community: 'c1', cell: 'g1', kind: 'smoke' });
    expect(s3.values).toEqual([3, 13, 23, 33, 43, 53, 63, 73, 83, 93].map((i) => 20 + i / 10));
    expect(s3.timestamps).toEqual([3, 13, 23, 33, 43, 53, 63, 73, 83, 93].map((i) => t0 + i * 100));
  });
});
