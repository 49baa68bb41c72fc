import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventBus, type DeviceMessage } from '../../server/src/events.ts';
import { PushIngest } from '../../server/src/ingest/adapters/push-ingest.ts';
import { IngestPipeline } from '../../server/src/ingest/pipeline.ts';
import { RejectLog } from '../../server/src/ingest/rejects.ts';
import { createLogger } from '../../server/src/log.ts';
import { HubMetrics } from '../../server/src/metrics.ts';
import { DeviceRegistry } from '../../server/src/registry/devices.ts';
import { Journal } from '../../server/src/spool/journal.ts';
import { tempDataDir } from '../helpers/hub.ts';
import { memoryStateDb } from '../helpers/state-db.ts';

/** The push path's own guarantees, on a real journal with no store writer draining it. */
describe('PushIngest: the adapters way into the pipeline and the spool', () => {
  function setup(maxBytes: number) {
    const dir = path.join(tempDataDir('push-ingest'), 'spool');
    const journal = new Journal({ dir, maxBytes, eventReserveBytes: 600 });
    journal.open();
    const registry = new DeviceRegistry(memoryStateDb());
    registry.start();
    const device = registry.provision({ id: 'nb-1', kind: 'smoke', communityId: 'c1' });
    const bus = new EventBus(createLogger('silent'));
    const seen: DeviceMessage[] = [];
    bus.on('deviceMessage', (m) => seen.push(m));
    const metrics = new HubMetrics(false);
    const rejects = new RejectLog(metrics, createLogger('silent'), 100);
    const pipeline = new IngestPipeline({ registry, journal, bus, rejects, metrics, onAppended: () => {}, rateLimit: { perSecond: 0, burst: 0 } });
    const ingest = new PushIngest({ pipeline, journal, registry, rejects });
    const spooled = () => fs.readdirSync(dir).filter((f) => f.endsWith('.log')).flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean));
    return { journal, registry, device, ingest, seen, spooled, rejects, stop: () => { journal.close(); registry.stop(); } };
  }

  it('a 200 means the lines are in the journal file; a full spool answers 503 with Retry-After, telemetry before events, and evaluates nothing', async () => {
    const t = setup(3000);
    const ts = Date.now() - 60_000;
    let i = 0;
    let answer;
    for (;;) {
      answer = await t.ingest.submit([{ key: `k${i}`, messages: [{ device: t.device, channel: 'telemetry', payload: { ts: ts + i, seq: i, battery_pct: 80 } }] }], Buffer.alloc(0));
      if (answer.status !== 200) break;
      i++;
      // Already on disk when the answer is given.
      expect(t.spooled()).toHaveLength(i);
    }
    expect(answer).toMatchObject({ status: 503, retryAfterS: 5, body: { error: 'SPOOL_FULL' } });
    expect(t.seen).toHaveLength(i);
    // The events' reserve still takes an alarm.
    const alarm = await t.ingest.submit([{ messages: [{ device: t.device, channel: 'event', payload: { ts, type: 'alarm' } }] }], Buffer.alloc(0));
    expect(alarm.status).toBe(200);
    expect(t.spooled()).toHaveLength(i + 1);
    t.stop();
  });

  it('a push with one invalid message stores and evaluates none of it, and its packet may come again', async () => {
    const t = setup(1_000_000);
    const ts = Date.now() - 60_000;
    const unit = (battery: number) => ({ key: 'p1', messages: [
      { device: t.device, channel: 'event' as const, payload: { ts, type: 'alarm' } },
      { device: t.device, channel: 'telemetry' as const, payload: { ts, battery_pct: battery } },
    ] });
    const bad = await t.ingest.submit([unit(180)], Buffer.from('sample'));
    expect(bad).toMatchObject({ status: 422, body: { error: 'INVALID_PAYLOAD' } });
    expect(t.spooled()).toHaveLength(0);
    expect(t.seen).toHaveLength(0);
    expect(t.rejects.counts.get('invalid_payload')).toBe(1);
    expect((await t.ingest.submit([unit(80)], Buffer.alloc(0))).body).toMatchObject({ stored: 2, replayed: 0 });
    expect((await t.ingest.submit([unit(80)], Buffer.alloc(0))).body).toMatchObject({ stored: 0, replayed: 1 });
    expect(t.spooled()).toHaveLength(2);
    expect(t.seen.map((m) => m.channel)).toEqual(['event', 'telemetry']);
    t.stop();
  });

  it('concurrent pushes share one journal write, each answered once it is on disk; a retry racing its first copy is a replay', async () => {
    const t = setup(1_000_000);
    const ts = Date.now() - 60_000;
    const writes: number[] = [];
    const journal = t.journal as unknown as { tryWrite(buf: Buffer): boolean };
    const tryWrite = journal.tryWrite.bind(journal);
    journal.tryWrite = (buf: Buffer) => (writes.push(buf.toString().split('\n').filter(Boolean).length), tryWrite(buf));
    const push = (i: number, key = `c${i}`) => t.ingest.submit([{ key, messages: [{ device: t.device, channel: 'telemetry', payload: { ts: ts + i, seq: i, battery_pct: 80 } }] }], Buffer.alloc(0));
    const answers = await Promise.all([...Array.from({ length: 20 }, (_, i) => push(i)), push(0, 'c0')]);
    expect(answers.map((a) => a.status)).toEqual(Array(21).fill(200));
    expect(answers.reduce((n, a) => n + (a.body.stored as number), 0)).toBe(20);
    expect(answers[20]!.body).toMatchObject({ stored: 0, replayed: 1 });
    expect(writes).toEqual([20]);
    expect(t.spooled()).toHaveLength(20);
    t.stop();
  });
});
