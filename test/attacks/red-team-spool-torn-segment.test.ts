import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal } from '../../server/src/spool/journal.ts';
import { JournalReader } from '../../server/src/spool/journal-reader.ts';
import { tempDataDir } from '../helpers/hub.ts';

const rec = (i: number) => JSON.stringify({ i, pad: 'x'.repeat(50) });

/**
 * The reader stopped at a stretch without a newline, waiting for the rest of the line: right for
 * the head segment being written, wrong for a sealed segment whose end was torn, or for a stretch
 * longer than its 8 MiB buffer (NUL blocks left by a power cut). It returned nothing from there on,
 * so the store writer never moved again and the spool filled.
 */
describe('the journal reader gets past a torn sealed segment and an 8 MiB stretch without a newline', () => {
  it('reads every intact line after them and hands each bad stretch on as one unparseable record', () => {
    const dir = tempDataDir('journal-torn');
    const journal = new Journal({ dir, maxBytes: 1 << 30, segmentBytes: 1000 });
    journal.open();
    for (let i = 0; i < 60; i++) journal.append(rec(i));
    journal.close();
    const segs = fs.readdirSync(dir).filter((f) => f.startsWith('seg-')).sort();
    expect(segs.length).toBeGreaterThan(4);
    // Segment 2 (sealed) loses its final newline; segment 3 gets 9 MiB of NULs after its first line.
    const torn = path.join(dir, segs[1]!);
    const lostWithSeg2 = (JSON.parse(fs.readFileSync(torn, 'utf8').trimEnd().split('\n').at(-1)!) as { i: number }).i;
    fs.truncateSync(torn, fs.statSync(torn).size - 5);
    const holed = path.join(dir, segs[2]!);
    const lines = fs.readFileSync(holed, 'utf8').split('\n');
    fs.writeFileSync(holed, `${lines[0]}\n${'\u0000'.repeat(9 * 1024 * 1024)}${lines.slice(1).join('\n')}`);

    const again = new Journal({ dir, maxBytes: 1 << 30, segmentBytes: 1000 });
    again.open();
    const reader = new JournalReader(dir, again.shared);
    const records: string[] = [];
    let end = reader.committed;
    for (let round = 0; round < 100; round++) {
      const batch = reader.read(1000, end);
      if (batch.records.length === 0) break;
      records.push(...batch.records);
      end = batch.end;
    }
    const good: number[] = [];
    let bad = 0;
    for (const r of records) {
      try {
        good.push((JSON.parse(r) as { i: number }).i);
      } catch {
        bad++;
      }
    }
    const lostWithSeg3 = (JSON.parse(lines[1]!) as { i: number }).i;
    expect(bad).toBe(2);
    expect(good).toEqual([...Array(60).keys()].filter((i) => i !== lostWithSeg2 && i !== lostWithSeg3));
    expect(records.every((r) => r.length <= 64 * 1024)).toBe(true);
    expect(end.seg).toBe(again.shared.headSeg);
    reader.close();
    again.close();
  });
});
