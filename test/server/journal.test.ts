import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal } from '../../server/src/spool/journal.ts';
import { tempDataDir } from '../helpers/hub.ts';

const rec = (i: number) => JSON.stringify({ i, pad: 'x'.repeat(50) });

describe('Journal', () => {
  it('reads back in order across segments and survives reopening', () => {
    const dir = tempDataDir('journal');
    const j = new Journal({ dir, maxBytes: 1 << 30, segmentBytes: 1000 });
    j.open();
    for (let i = 0; i < 100; i++) j.append(rec(i));
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('seg-')).length).toBeGreaterThan(5);
    const first = j.read(30);
    expect(first.records.map((r) => JSON.parse(r).i)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    j.commit(first.end);
    j.close();

    const again = new Journal({ dir, maxBytes: 1 << 30, segmentBytes: 1000 });
    again.open();
    const rest = again.read(1000);
    expect(rest.records.map((r) => JSON.parse(r).i)).toEqual(Array.from({ length: 70 }, (_, i) => i + 30));
    again.commit(rest.end);
    expect(again.pendingBytes()).toBe(0);
    again.append(rec(100));
    expect(again.read(10).records.map((r) => JSON.parse(r).i)).toEqual([100]);
    // Consumed segments are deleted.
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('seg-')).length).toBeLessThanOrEqual(2);
  });

  it('without a commit, everything is replayed after a reopen (crash before the store write)', () => {
    const dir = tempDataDir('journal');
    const j = new Journal({ dir, maxBytes: 1 << 30 });
    j.open();
    for (let i = 0; i < 10; i++) j.append(rec(i));
    j.read(5); // read but never committed
    j.close();
    const again = new Journal({ dir, maxBytes: 1 << 30 });
    again.open();
    expect(again.read(100).records).toHaveLength(10);
  });

  it('cuts a torn last line left by a crash mid-write', () => {
    const dir = tempDataDir('journal');
    const j = new Journal({ dir, maxBytes: 1 << 30 });
    j.open();
    j.append(rec(1));
    j.append(rec(2));
    j.close();
    const seg = fs.readdirSync(dir).find((f) => f.startsWith('seg-'))!;
    fs.appendFileSync(path.join(dir, seg), '{"i":3,"pad":"xx');
    const again = new Journal({ dir, maxBytes: 1 << 30 });
    again.open();
    again.append(rec(4));
    expect(again.read(100).records.map((r) => JSON.parse(r).i)).toEqual([1, 2, 4]);
  });

  it('reports full at its byte budget and frees space on commit', () => {
    const dir = tempDataDir('journal');
    const j = new Journal({ dir, maxBytes: 600 });
    j.open();
    for (let i = 0; i < 20 && !j.full; i++) j.append(rec(i));
    expect(j.full).toBe(true);
    const batch = j.read(1000);
    j.commit(batch.end);
    expect(j.full).toBe(false);
    expect(j.pendingBytes()).toBe(0);
  });
});
