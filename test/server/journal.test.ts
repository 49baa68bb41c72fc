import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal } from '../../server/src/spool/journal.ts';
import { JournalReader } from '../../server/src/spool/journal-reader.ts';
import { tempDataDir } from '../helpers/hub.ts';

const rec = (i: number) => JSON.stringify({ i, pad: 'x'.repeat(50) });
const ids = (records: string[]) => records.map((r) => (JSON.parse(r) as { i: number }).i);

/** The appending side (ingest thread) and the reading side (store-writer thread) over one directory. */
function open(dir: string, opts: { maxBytes?: number; segmentBytes?: number } = {}) {
  const journal = new Journal({ dir, maxBytes: opts.maxBytes ?? 1 << 30, ...(opts.segmentBytes ? { segmentBytes: opts.segmentBytes } : {}) });
  journal.open();
  return { journal, reader: new JournalReader(dir, journal.shared) };
}

describe('Journal and JournalReader', () => {
  it('read back in order across segments, and a reopen starts at the checkpoint', () => {
    const dir = tempDataDir('journal');
    const { journal, reader } = open(dir, { segmentBytes: 1000 });
    for (let i = 0; i < 100; i++) journal.append(rec(i));
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('seg-')).length).toBeGreaterThan(5);
    const first = reader.read(30);
    expect(ids(first.records)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    reader.commit(first.end, true);
    reader.close();
    journal.close();

    const again = open(dir, { segmentBytes: 1000 });
    const rest = again.reader.read(1000);
    expect(ids(rest.records)).toEqual(Array.from({ length: 70 }, (_, i) => i + 30));
    again.reader.commit(rest.end, true);
    expect(again.journal.pendingBytes()).toBe(0);
    again.journal.append(rec(100));
    expect(ids(again.reader.read(10).records)).toEqual([100]);
    // Consumed segments are deleted.
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('seg-')).length).toBeLessThanOrEqual(2);
  });

  it('batch() makes one write at its end, readable only after it; a batch spanning a segment limit rolls over', () => {
    const dir = tempDataDir('journal');
    const { journal, reader } = open(dir, { segmentBytes: 2000 });
    for (let i = 0; i < 10; i++) journal.append(rec(i));
    const before = reader.read(1000);
    journal.batch(() => {
      for (let i = 10; i < 60; i++) journal.append(rec(i));
      // Not written yet: the reader sees only what came before the batch.
      expect(ids(reader.read(1000).records)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    });
    const batched = reader.read(1000, before.end);
    expect(ids(batched.records)).toEqual(Array.from({ length: 50 }, (_, i) => i + 10));
    journal.append(rec(60));
    expect(ids(reader.read(1000, batched.end).records)).toEqual([60]);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('seg-')).length).toBeGreaterThanOrEqual(2);
  });

  it('without a commit, everything is replayed after a reopen (crash before the store write)', () => {
    const dir = tempDataDir('journal');
    const { journal, reader } = open(dir);
    for (let i = 0; i < 10; i++) journal.append(rec(i));
    reader.read(5); // read but never committed
    journal.close();
    expect(open(dir).reader.read(100).records).toHaveLength(10);
  });

  it('cuts a torn last line left by a crash mid-write', () => {
    const dir = tempDataDir('journal');
    const first = open(dir);
    first.journal.append(rec(1));
    first.journal.append(rec(2));
    first.journal.close();
    const seg = fs.readdirSync(dir).find((f) => f.startsWith('seg-'))!;
    fs.appendFileSync(path.join(dir, seg), '{"i":3,"pad":"xx');
    const { journal, reader } = open(dir);
    journal.append(rec(4));
    expect(ids(reader.read(100).records)).toEqual([1, 2, 4]);
  });

  it('reports full at its byte budget and frees space once the reader commits', async () => {
    const dir = tempDataDir('journal');
    const { journal, reader } = open(dir, { maxBytes: 600 });
    for (let i = 0; i < 20 && !journal.full; i++) journal.append(rec(i));
    expect(journal.full).toBe(true);
    reader.commit(reader.read(1000).end);
    expect(journal.full).toBe(false);
    expect(journal.pendingBytes()).toBe(0);
    // A commit right after another is persisted (and published) a moment later, never lost.
    journal.append(rec(99));
    reader.commit(reader.read(1000).end);
    await new Promise((r) => setTimeout(r, 300));
    expect(journal.pendingBytes()).toBe(0);
  });
});
