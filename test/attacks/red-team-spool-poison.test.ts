import { describe, expect, it } from 'vitest';
import { createLogger } from '../../server/src/log.ts';
import type { StoredPoint, TelemetryStore } from '../../server/src/store/types.ts';
import { StoreWriter, type JournalSource, type RefusedPoint, type WriterSink } from '../../server/src/store/writer.ts';
import type { JournalPosition } from '../../server/src/spool/journal.ts';
import { waitFor } from '../helpers/ports.ts';

class MemoryJournal implements JournalSource {
  committed: JournalPosition = { seg: 0, off: 0 };
  constructor(readonly records: string[]) {}
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

class MemoryStore {
  readonly name = 'memory';
  readonly points: StoredPoint[] = [];
  async start() {}
  async stop() {}
  async ping() {
    return true;
  }
  async write(points: StoredPoint[]) {
    this.points.push(...points);
    return { refused: [] };
  }
}

/**
 * A spool line that does not parse (a power cut on a filesystem that leaves NUL blocks, a bad
 * sector, a hand edit) must not stop the writer: before, JSON.parse threw inside the batch, the
 * writer's loop died, and every later acknowledged message stayed in the spool until it filled.
 */
describe('a corrupt line in the spool does not stall the store writer', () => {
  it('stores every good point around NUL blocks, torn, non-object and shapeless lines, and reports each bad one', async () => {
    const now = Date.now();
    const good = (i: number) => JSON.stringify({ m: 't', d: 's1', k: 'smoke', c: 'c1', g: null, ts: now - 1000 + i, seq: i, rx: now, r: { battery_pct: i % 100 } } satisfies StoredPoint);
    const bad = ['\u0000'.repeat(4096) + good(-1), good(-2).slice(0, 40), 'null', '42', '[1,2]', '{"m":"t"}', '{"m":"x","d":"s1","k":"smoke","c":"c1","ts":1,"rx":1,"r":{}}'];
    const records: string[] = [];
    for (let i = 0; i < 300; i++) {
      records.push(good(i));
      if (i % 40 === 20) records.push(bad[(i / 40) | 0]!);
    }
    const journal = new MemoryJournal(records);
    const store = new MemoryStore();
    const refused: RefusedPoint[] = [];
    const sink: WriterSink = { stored() {}, dropped: (r) => refused.push(...r), writeFailed() {}, storeState() {}, committed() {} };
    const writer = new StoreWriter({ journal, store: store as unknown as TelemetryStore, sink, log: createLogger('silent'), batchSize: 50, flushMs: 0, now: () => now });
    writer.start();
    await waitFor(() => journal.committed.off === records.length || undefined, { timeoutMs: 5000, what: 'the whole spool committed' });
    await writer.stop();
    expect(store.points.map((p) => p.seq)).toEqual([...Array(300).keys()]);
    expect(refused).toHaveLength(bad.length);
    for (const r of refused) {
      expect(r.reason).toBe('corrupt_spool');
      // No community can be read from a corrupt line: all-scope users only (docs/security.md).
      expect(r.topic).toBe('');
    }
  });
});
