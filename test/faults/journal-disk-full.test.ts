import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Journal } from '../../server/src/spool/journal.ts';
import { JournalReader } from '../../server/src/spool/journal-reader.ts';
import { tempDataDir } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';

/** Issue 13 item 4, at the journal: a write that hits a full disk leaves no torn line and is held, not thrown. */
describe('Journal on a full disk', () => {
  const mounts: string[] = [];
  afterAll(() => {
    for (const dir of mounts) execFileSync('umount', [dir]);
  });

  it('a short or failed write is cut back to whole lines, held, and written once space returns', async () => {
    const dir = tempDataDir('journal-enospc');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir]);
    mounts.push(dir);
    const spool = path.join(dir, 'spool');
    const filler = path.join(dir, 'filler');
    fs.writeFileSync(filler, Buffer.alloc(64 * 1024));
    const journal = new Journal({ dir: spool, maxBytes: 1 << 30, retryMs: 20 });
    journal.open();
    const reader = new JournalReader(spool, journal.shared);
    let resumed = 0;
    journal.onWritable = () => resumed++;
    // Lines of odd sizes, in batches, so the write that meets the end of the disk is a short one.
    const line = (i: number) => JSON.stringify({ i, pad: 'y'.repeat(100 + (i % 97)) });
    let appended = 0;
    let written = 0;
    while (!journal.holding) {
      journal.batch(() => {
        for (let k = 0; k < 50; k++) journal.append(line(appended++));
      });
      if (!journal.holding) written = appended;
    }
    expect(journal.holdReason()).toBe('disk_full');
    expect(journal.full).toBe(true);
    expect(journal.telemetryFull).toBe(true);
    const seg = path.join(spool, fs.readdirSync(spool).find((f) => f.startsWith('seg-'))!);
    const onDisk = fs.readFileSync(seg);
    // No torn line: the segment ends at a line boundary and holds exactly the batches that fit.
    expect(onDisk.at(-1)).toBe(10);
    expect(onDisk.toString().trimEnd().split('\n')).toHaveLength(written);
    expect(reader.read(1_000_000).records).toHaveLength(written);
    // Space returns: the held batch goes through whole, after the lines before it, in order.
    fs.rmSync(filler);
    await waitFor(() => resumed > 0 || undefined, { what: 'the held write to go through', timeoutMs: 5000 });
    expect(journal.holding).toBe(false);
    expect(journal.holdReason()).toBeUndefined();
    const again = new JournalReader(spool, journal.shared);
    const all = again.read(1_000_000).records.map((r) => (JSON.parse(r) as { i: number }).i);
    expect(all).toEqual(Array.from({ length: appended }, (_, i) => i));
    for (const r of [reader, again]) r.close();
    journal.close();
  });
});
