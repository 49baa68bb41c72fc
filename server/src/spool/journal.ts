import fs from 'node:fs';
import path from 'node:path';
import type { SharedJournalState } from './shared-state.ts';

/** A place in the journal: segment number and byte offset inside it. */
export interface JournalPosition {
  seg: number;
  off: number;
}

export interface JournalBatch {
  records: string[];
  end: JournalPosition;
}

export interface JournalOptions {
  dir: string;
  /** Set when another thread reads and commits (the store writer in its worker). */
  shared?: SharedJournalState;
  /** Total bytes the unconsumed journal may hold; past it appends must wait (backpressure, not loss). */
  maxBytes: number;
  segmentBytes?: number;
}

const SEGMENT_RE = /^seg-(\d{12})\.log$/;
const segName = (n: number) => `seg-${String(n).padStart(12, '0')}.log`;

/**
 * Append-only, segmented write-ahead journal of accepted messages (one JSON line each).
 *
 * Every accepted QoS 1 message is appended here before its PUBACK, so a crash of the hub,
 * the broker or the store loses nothing that was acknowledged. The store writer reads
 * batches from the checkpoint and commits the checkpoint after a successful store write;
 * replays after a crash are harmless because store writes are idempotent.
 * Appends use write(2) without fsync: the data survives a process crash (it is in the
 * kernel's page cache), which is the failure this guards against; see docs/durability.md.
 */
export class Journal {
  private readonly segmentBytes: number;
  private readonly sizes = new Map<number, number>();
  private headSeg = 1;
  private headFd = -1;
  private checkpoint: JournalPosition = { seg: 1, off: 0 };
  private readFd = -1;
  private readFdSeg = -1;
  private readonly buf: Buffer;
  /** The checkpoint as last written to disk; segments before it may be deleted. */
  private persisted: JournalPosition = { seg: 1, off: 0 };
  private persistedAt = 0;

  constructor(private readonly opts: JournalOptions) {
    this.segmentBytes = opts.segmentBytes ?? 64 * 1024 * 1024;
    this.buf = Buffer.allocUnsafe(8 * 1024 * 1024);
  }

  open(): void {
    fs.mkdirSync(this.opts.dir, { recursive: true });
    const segs = fs
      .readdirSync(this.opts.dir)
      .map((f) => SEGMENT_RE.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    for (const seg of segs) this.sizes.set(seg, fs.statSync(this.segPath(seg)).size);
    this.checkpoint = this.loadCheckpoint(segs[0] ?? 1);
    this.persisted = { ...this.checkpoint };
    this.headSeg = segs.at(-1) ?? this.checkpoint.seg;
    this.truncateTornTail(this.headSeg);
    this.headFd = fs.openSync(this.segPath(this.headSeg), 'a');
    if (!this.sizes.has(this.headSeg)) this.sizes.set(this.headSeg, 0);
    this.opts.shared?.setHead(this.headSeg, this.sizes.get(this.headSeg)!);
    this.opts.shared?.setCommitted(this.checkpoint.seg, this.checkpoint.off);
  }

  close(): void {
    if (this.headFd >= 0) this.persistCheckpoint();
    if (this.headFd >= 0) fs.closeSync(this.headFd);
    if (this.readFd >= 0) fs.closeSync(this.readFd);
    this.headFd = this.readFd = -1;
  }

  /** Bytes appended but not yet committed to the store. */
  pendingBytes(): number {
    const shared = this.opts.shared;
    if (shared) {
      this.checkpoint = { seg: shared.committedSeg, off: shared.committedOff };
      for (const seg of this.sizes.keys()) if (seg < this.checkpoint.seg) this.sizes.delete(seg);
    }
    let total = 0;
    for (const [seg, size] of this.sizes) if (seg >= this.checkpoint.seg) total += size;
    return total - this.checkpoint.off;
  }

  get full(): boolean {
    return this.pendingBytes() >= this.opts.maxBytes;
  }

  append(line: string): void {
    const data = line + '\n';
    const bytes = Buffer.byteLength(data);
    let size = this.sizes.get(this.headSeg) ?? 0;
    if (size > 0 && size + bytes > this.segmentBytes) {
      fs.closeSync(this.headFd);
      this.headSeg++;
      this.headFd = fs.openSync(this.segPath(this.headSeg), 'a');
      size = 0;
    }
    fs.writeSync(this.headFd, data);
    this.sizes.set(this.headSeg, size + bytes);
    this.opts.shared?.setHead(this.headSeg, size + bytes);
  }

  /** Where the next read after everything committed starts. */
  get committed(): JournalPosition {
    return { ...this.checkpoint };
  }

  /** Reads up to maxRecords whole records from `from` (default: the checkpoint); does not move the checkpoint. */
  read(maxRecords: number, from: JournalPosition = this.checkpoint): JournalBatch {
    let pos = { ...from };
    const records: string[] = [];
    while (records.length < maxRecords) {
      const size = this.sizes.get(pos.seg) ?? 0;
      if (pos.off >= size) {
        if (pos.seg >= this.headSeg) break;
        pos = { seg: pos.seg + 1, off: 0 };
        continue;
      }
      const fd = this.readFdFor(pos.seg);
      const n = fs.readSync(fd, this.buf, 0, Math.min(this.buf.length, size - pos.off), pos.off);
      let start = 0;
      while (records.length < maxRecords) {
        const nl = this.buf.indexOf(10, start);
        if (nl < 0 || nl >= n) break;
        if (nl > start) records.push(this.buf.toString('utf8', start, nl));
        start = nl + 1;
      }
      if (start === 0) break;
      pos = { seg: pos.seg, off: pos.off + start };
    }
    return { records, end: pos };
  }

  /**
   * Marks everything before `pos` as stored. The checkpoint file is rewritten at most every
   * 200 ms: after a crash a little more is replayed, which idempotent store writes make harmless.
   */
  commit(pos: JournalPosition): void {
    this.checkpoint = { ...pos };
    if (Date.now() - this.persistedAt >= 200) this.persistCheckpoint();
  }

  private persistCheckpoint(): void {
    const pos = { ...this.checkpoint };
    const tmp = path.join(this.opts.dir, 'checkpoint.json.tmp');
    fs.writeFileSync(tmp, JSON.stringify(pos));
    fs.renameSync(tmp, path.join(this.opts.dir, 'checkpoint.json'));
    this.persisted = pos;
    this.persistedAt = Date.now();
    // Only segments wholly before the checkpoint on disk can go.
    for (const seg of [...this.sizes.keys()]) {
      if (seg < this.persisted.seg) {
        if (this.readFdSeg === seg) {
          fs.closeSync(this.readFd);
          this.readFd = this.readFdSeg = -1;
        }
        fs.rmSync(this.segPath(seg), { force: true });
        this.sizes.delete(seg);
      }
    }
  }

  private readFdFor(seg: number): number {
    if (this.readFdSeg !== seg) {
      if (this.readFd >= 0) fs.closeSync(this.readFd);
      this.readFd = fs.openSync(this.segPath(seg), 'r');
      this.readFdSeg = seg;
    }
    return this.readFd;
  }

  private segPath(seg: number): string {
    return path.join(this.opts.dir, segName(seg));
  }

  private loadCheckpoint(firstSeg: number): JournalPosition {
    try {
      const cp = JSON.parse(fs.readFileSync(path.join(this.opts.dir, 'checkpoint.json'), 'utf8')) as JournalPosition;
      if (Number.isInteger(cp.seg) && Number.isInteger(cp.off)) {
        // Segments before the checkpoint may already be gone; never point before the oldest one kept.
        return cp.seg < firstSeg ? { seg: firstSeg, off: 0 } : cp;
      }
    } catch {
      // No checkpoint yet: start at the oldest segment.
    }
    return { seg: firstSeg, off: 0 };
  }

  /** A crash mid-append can leave half a line; cut it so the next append starts clean. */
  private truncateTornTail(seg: number): void {
    const size = this.sizes.get(seg);
    if (!size) return;
    const file = this.segPath(seg);
    const fd = fs.openSync(file, 'r');
    try {
      const tailLen = Math.min(size, 64 * 1024);
      const tail = Buffer.alloc(tailLen);
      fs.readSync(fd, tail, 0, tailLen, size - tailLen);
      if (tail[tailLen - 1] === 10) return;
      const nl = tail.lastIndexOf(10);
      const keep = nl < 0 ? size - tailLen : size - tailLen + nl + 1;
      fs.truncateSync(file, keep);
      this.sizes.set(seg, keep);
    } finally {
      fs.closeSync(fd);
    }
  }
}
