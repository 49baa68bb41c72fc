import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../server/src/hub.ts';
import { createLogger } from '../../server/src/log.ts';
import { InfluxTelemetryStore } from '../../server/src/store/influx.ts';
import { SqliteTelemetryStore } from '../../server/src/store/sqlite.ts';
import type { StoredPoint, TelemetryStore } from '../../server/src/store/types.ts';
import { StoreWriter, type JournalSource, type RefusedPoint, type WriterSink } from '../../server/src/store/writer.ts';
import type { JournalPosition } from '../../server/src/spool/journal.ts';
import { adminSession, type HubSession } from '../helpers/auth.ts';
import { startHub, tempDataDir } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import { useMosquittoAndInflux } from '../helpers/real-services.ts';
import { metric } from '../attacks/store-helpers.ts';

const DAY = 86_400_000;

class MemoryJournal implements JournalSource {
  committed: JournalPosition = { seg: 0, off: 0 };
  constructor(private readonly records: string[]) {}
  read(max: number, from: JournalPosition = this.committed) {
    const records = this.records.slice(from.off, from.off + max);
    return { records, end: { seg: 0, off: from.off + records.length } };
  }
  commit(pos: JournalPosition) {
    this.committed = pos;
  }
  pendingBytes() {
    return this.records.length - this.committed.off;
  }
}

/** Runs the writer over `points` with its clock at `now` and reports what it stored and refused. */
async function writeThrough(store: TelemetryStore, points: StoredPoint[], now: number) {
  const journal = new MemoryJournal(points.map((p) => JSON.stringify(p)));
  const refused: RefusedPoint[] = [];
  let stored = 0;
  const sink: WriterSink = { stored: (n) => (stored += n), dropped: (r) => refused.push(...r), writeFailed() {}, storeState() {}, committed() {} };
  const writer = new StoreWriter({ journal, store, sink, log: createLogger('silent'), batchSize: 100, flushMs: 0, retention: { rawDays: 7, rollup1mDays: 30, rollup1hDays: 365 }, now: () => now });
  writer.start();
  await waitFor(() => journal.committed.off === points.length || undefined, { what: 'the batch committed' });
  await writer.stop();
  return { stored, refused };
}

/** Both stores get the writer's acceptance rule: points that waited in the spool past retention are refused, reported, and not stored by either. */
describe('both stores keep the same points', () => {
  const env = useMosquittoAndInflux();
  it('refuses what aged past retention in the spool, in SQLite and InfluxDB alike', async () => {
    const now = Date.now();
    const point = (d: string, ts: number, seq: number): StoredPoint => ({ m: 't', d, k: 'smoke', c: 'c1', g: null, ts, seq, rx: ts, r: { battery_pct: seq } });
    const points = [point('a', now - 8 * DAY, 1), point('a', now - DAY, 2), point('a', now - 7 * DAY - 1, 3), point('a', now - 1000, 4), { ...point('b', now - 9 * DAY, 5), m: 'e' as const, ty: 'test' }];
    const sqlite = new SqliteTelemetryStore(path.join(tempDataDir('accept'), 'telemetry.db'));
    const influx = new InfluxTelemetryStore(env.influxUrl('accept'));
    const kept: Record<string, number[]> = {};
    for (const store of [sqlite, influx]) {
      await store.start();
      const { stored, refused } = await writeThrough(store, points, now);
      expect(stored).toBe(2);
      expect(refused.map((r) => [r.reason, r.topic])).toEqual([
        ['beyond_retention', 'community/c1/smoke/a/telemetry'],
        ['beyond_retention', 'community/c1/smoke/a/telemetry'],
        ['beyond_retention', 'community/c1/smoke/b/event'],
      ]);
      const rows = await store.queryRaw({ deviceId: 'a', kind: 'smoke', from: now - 30 * DAY, to: now, limit: 100 });
      kept[store.name] = rows.map((r) => r.seq!);
      await store.stop();
    }
    expect(kept).toEqual({ sqlite: [2, 4], influxdb: [2, 4] });
  });

  it('InfluxDB names only a count when it refuses part of a batch: the store finds which points, and stores the rest', async () => {
    const store = new InfluxTelemetryStore(env.influxUrl('bisect'), { rawDays: 7, rollup1mDays: 30, rollup1hDays: 365 });
    await store.start();
    // A type fixed in this shard beforehand (InfluxDB's own clock may differ from the test's, so
    // the refusal is a type conflict, not retention): every later numeric "level" is refused.
    const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 + 60_000;
    const res = await fetch(`http://127.0.0.1:${env.influx.port}/write?db=bisect&precision=ms`, { method: 'POST', body: `smoke,community=c1,device=bis0,kind=smoke xn_level="x",seq=-1 ${base}` });
    expect(res.status).toBe(204);
    const points = Array.from({ length: 100 }, (_, i): StoredPoint => ({
      m: 't', d: 'bis', k: 'smoke', c: 'c1', g: null, ts: base + i, seq: i, rx: base, r: i % 17 === 5 ? { level: i } : { battery_pct: i % 100 },
    }));
    const outcome = await store.write(points);
    const refusedSeqs = [5, 22, 39, 56, 73, 90];
    expect(outcome?.refused.map((r) => points[r.index]!.seq)).toEqual(refusedSeqs);
    expect(outcome?.refused.every((r) => r.reason === 'type_conflict' && /field type conflict/.test(r.message))).toBe(true);
    const rows = await store.queryRaw({ deviceId: 'bis', kind: 'smoke', from: base, to: base + 1000, limit: 1000 });
    expect(rows).toHaveLength(100 - refusedSeqs.length);
    await store.stop();
  });
});

describe('hub_store_up tells the truth', () => {
  it('is 1 on a healthy hub with the embedded store', async () => {
    const hub = await startHub();
    try {
      expect(await metric(hub, 'hub_store_up')).toBe(1);
      const s = await adminSession(hub.httpUrl);
      const text = await (await s.fetch(`${hub.httpUrl}/metrics`)).text();
      expect(text).toMatch(/^hub_store_up 1$/m);
    } finally {
      await hub.stop();
    }
  });

  describe('with InfluxDB', () => {
    const env = useMosquittoAndInflux();
    let hub: Hub;
    let s: HubSession;
    beforeAll(async () => {
      hub = await env.hub('storeup');
      s = await adminSession(hub.httpUrl);
    });
    afterAll(async () => {
      await env.influx.start().catch(() => {});
    });

    it('is 1 while InfluxDB runs, 0 while it is down (even with no traffic), 1 again when it returns', async () => {
      expect(await metric(hub, 'hub_store_up')).toBe(1);
      await env.influx.stop();
      await waitFor(async () => ((await metric(hub, 'hub_store_up')) === 0 ? true : undefined), { what: 'hub_store_up 0' });
      const health = await fetch(`${hub.httpUrl}/healthz`);
      expect(health.status).toBe(503);
      await env.influx.start();
      await waitFor(async () => ((await metric(hub, 'hub_store_up')) === 1 ? true : undefined), { what: 'hub_store_up 1' });
      expect((await s.fetch(`${hub.httpUrl}/metrics`).then((r) => r.text())).match(/^hub_store_up (\d)$/m)?.[1]).toBe('1');
    });
  });
});
