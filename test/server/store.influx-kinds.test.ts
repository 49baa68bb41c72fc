import { afterAll, describe, expect, it } from 'vitest';
import { KINDS } from '#devices';
import { InfluxTelemetryStore } from '../../server/src/store/influx.ts';
import { startInflux, type Service } from '../helpers/services.ts';

const showCqs = async (influx: Service) =>
  (await (await fetch(`http://127.0.0.1:${influx.port}/query?q=${encodeURIComponent('SHOW CONTINUOUS QUERIES')}`)).text());

describe('InfluxDB rollups cover every registered kind', () => {
  let influx: Service | undefined;
  afterAll(async () => influx?.stop());

  it('replaces a rollup query written before a kind was registered, so gas and electrical_fire roll up too', async () => {
    influx = await startInflux('kinds');
    const db = 'kinds';
    const q = async (text: string) => {
      const res = await fetch(`http://127.0.0.1:${influx!.port}/query?q=${encodeURIComponent(text)}`, { method: 'POST' });
      expect(res.ok).toBe(true);
    };
    // What the previous release created: the four original kinds only.
    await q(`CREATE DATABASE "${db}"`);
    await q(`CREATE RETENTION POLICY "raw" ON "${db}" DURATION 30d REPLICATION 1 DEFAULT`);
    await q(`CREATE RETENTION POLICY "rollup_1m" ON "${db}" DURATION 180d REPLICATION 1`);
    await q(`CREATE CONTINUOUS QUERY "cq_rollup_1m" ON "${db}" BEGIN SELECT mean(*) INTO "${db}"."rollup_1m".:MEASUREMENT FROM "${db}"."raw"./^(smoke|gate|fire_station|camera)$/ GROUP BY time(1m), * END`);
    expect(await showCqs(influx)).not.toContain('electrical_fire');

    const store = new InfluxTelemetryStore(influx.url);
    await store.start();
    const cqs = await showCqs(influx);
    for (const name of ['cq_rollup_1m', 'cq_rollup_1h']) expect(cqs).toContain(name);
    for (const kind of KINDS) expect(cqs).toContain(kind);
    await store.stop();
  });
});
