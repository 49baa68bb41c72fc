import fs from 'node:fs';
import path from 'node:path';
import type { JournalBatch, JournalPosition } from './journal.ts';
import type { SharedJournalState } from './shared-state.ts';

const segName = (n: number) => `seg-${String(n).padStart(12, '0')}.log`;

/**
 * The store writer's side of the journal, in its own thread: reads whole records below the head
 * the appender published, and commits the checkpoint (file written at most every 200 ms; segments
 * wholly before it are deleted).
 */
/** Starts a record that stands for an over-long stretch of a segment: never JSON, so the writer reports it as corrupt_spool. */
const CORRUPT_MARK = '\u0000corrupt spool stretch: ';

export class JournalReader {
  private checkpoint: JournalPosition;
  private persistedAt = 0;
  private persistTimer: NodeJS.Timeout | undefined;
  private readFd = -1;
  private readFdSeg = -1;
  private readonly buf = Buffer.allocUnsafe(8 * 1024 * 1024);
  private readonly sealedSizes = new Map<number, number>();
  /** Why the last checkpoint write failed, while it does. */
  persistError: string | undefined;

  constructor(
    private readonly dir: string,
    private readonly shared: SharedJournalState,
    /** Told each time a committed position is published to the appender (budget freed). */
    private readonly onPublished: () => void = () => {},
  ) {
    this.checkpoint = { seg: shared.committedSeg, off: shared.committedOff };
    const segs = fs.readdirSync(dir).map((f) => /^seg-(\d{12})\.log$/.exec(f)).filter((m) => m !== null).map((m) => Number(m[1]));
    this.oldestKept = segs.length ? Math.min(...segs) : this.checkpoint.seg;
  }

  /** Segments from here on may still exist on disk. */
  private oldestKept: number;

  get committed(): JournalPosition {
    return { ...this.checkpoint };
  }

  pendingBytes(): number {
    let total = 0;
    for (let seg = this.checkpoint.seg; seg <= this.shared.headSeg; seg++) total += this.sizeOf(seg);
    return total - this.checkpoint.off;
  }

  read(maxRecords: number, from: JournalPosition = this.checkpoint): JournalBatch {
    let pos = { ...from };
    const records: string[] = [];
    while (records.length < maxRecords) {
      const size = this.sizeOf(pos.seg);
      if (pos.off >= size) {
        if (pos.seg >= this.shared.headSeg) break;
        pos = { seg: pos.seg + 1, off: 0 };
        continue;
      }
      const fd = this.fdFor(pos.seg);
      const n = fs.readSync(fd, this.buf, 0, Math.min(this.buf.length, size - pos.off), pos.off);
      let start = 0;
      while (records.length < maxRecords) {
        const nl = this.buf.indexOf(10, start);
        if (nl < 0 || nl >= n) break;
        if (nl > start) records.push(this.buf.toString('utf8', start, nl));
        start = nl + 1;
      }
      if (start === 0) {
        // No newline in what was read. Waiting for the rest is right only at the head, for a line
        // shorter than the buffer: a sealed segment never grows, and no point is 8 MiB long.
        if (n === this.buf.length) {
          records.push(`${CORRUPT_MARK}${this.buf.toString('latin1', 0, 200)}`);
          pos = { seg: pos.seg, off: this.nextLineStart(fd, pos.off + n, size) };
          continue;
        }
        if (pos.seg < this.shared.headSeg) {
          // The torn end of a sealed segment: intact but for its newline, the writer still stores it.
          records.push(this.buf.toString('utf8', 0, n));
          pos = { seg: pos.seg, off: size };
          continue;
        }
        break;
      }
      pos = { seg: pos.seg, off: pos.off + start };
    }
    return { records, end: pos };
  }

  /** Offset just past the next newline at or after `off`, or the segment's end. */
  private nextLineStart(fd: number, off: number, size: number): number {
    while (off < size) {
      const m = fs.readSync(fd, this.buf, 0, Math.min(this.buf.length, size - off), off);
      if (m <= 0) break;
      const nl = this.buf.indexOf(10);
      if (nl >= 0 && nl < m) return off + nl + 1;
      off += m;
    }
    return size;
  }

  commit(pos: JournalPosition, force = false): void {
    this.checkpoint = { ...pos };
    if (!force && Date.now() - this.persistedAt < 200) {
      // Persist soon anyway: the appender's budget (backpressure) waits for the published position.
      this.persistTimer ??= setTimeout(() => {
        this.persistTimer = undefined;
        this.commit(this.checkpoint, true);
      }, 200);
      return;
    }
    clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    const tmp = path.join(this.dir, 'checkpoint.json.tmp');
    try {
      fs.writeFileSync(tmp, JSON.stringify(pos));
      fs.renameSync(tmp, path.join(this.dir, 'checkpoint.json'));
    } catch (err) {
      // A full disk: the old checkpoint stays valid (a restart replays a little more, harmlessly);
      // nothing is published or deleted until this one is on disk. Try again shortly.
      this.persistError = (err as Error).message;
      this.persistTimer ??= setTimeout(() => {
        this.persistTimer = undefined;
        this.commit(this.checkpoint, true);
      }, 500);
      return;
    }
    this.persistError = undefined;
    this.persistedAt = Date.now();
    // Publish only what is on disk, so the appender never reuses budget a crash would replay.
    this.shared.setCommitted(pos.seg, pos.off);
    // A publish by the deferred persist comes after the commit's own notice: an appender
    // held on a full budget must hear of it too, or it would wait for a commit that never comes.
    this.onPublished();
    for (; this.oldestKept < pos.seg; this.oldestKept++) {
      if (this.readFdSeg === this.oldestKept) this.closeFd();
      fs.rmSync(path.join(this.dir, segName(this.oldestKept)), { force: true });
      this.sealedSizes.delete(this.oldestKept);
    }
  }

  close(): void {
    this.commit(this.checkpoint, true);
    clearTimeout(this.persistTimer);
    this.closeFd();
  }

  private sizeOf(seg: number): number {
    if (seg === this.shared.headSeg) return this.shared.headSize;
    let size = this.sealedSizes.get(seg);
    if (size === undefined) {
      try {
        size = fs.statSync(path.join(this.dir, segName(seg))).size;
      } catch {
        size = 0;
      }
      // A segment behind the head never grows again.
      if (seg < this.shared.headSeg) this.sealedSizes.set(seg, size);
    }
    return size;
  }

  private fdFor(seg: number): number {
    if (this.readFdSeg !== seg) {
      this.closeFd();
      this.readFd = fs.openSync(path.join(this.dir, segName(seg)), 'r');
      this.readFdSeg = seg;
    }
    return this.readFd;
  }

  private closeFd(): void {
    if (this.readFd >= 0) fs.closeSync(this.readFd);
    this.readFd = this.readFdSeg = -1;
  }
}
