import fs from 'node:fs';
import path from 'node:path';
import { SharedJournalState } from './shared-state.ts';

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
  /** Positions shared with the reader (the store writer's thread); made here when not given. */
  shared?: SharedJournalState;
  /** Total bytes the unconsumed journal may hold; past it appends must wait (backpressure, not loss). */
  maxBytes: number;
  segmentBytes?: number;
}

const SEGMENT_RE = /^seg-(\d{12})\.log$/;
const segName = (n: number) => `seg-${String(n).padStart(12, '0')}.log`;

/**
 * Append-only, segmented write-ahead journal of accepted messages (one JSON line each); this is
 * the appending side, and JournalReader (in the store writer's thread) the reading side.
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
  private pending: string[] | undefined;
  /** Characters gathered by the current batch: counted against the budget before they are written. */
  private pendingLength = 0;

  readonly shared: SharedJournalState;

  constructor(private readonly opts: JournalOptions) {
    this.shared = opts.shared ?? new SharedJournalState();
    this.segmentBytes = opts.segmentBytes ?? 64 * 1024 * 1024;
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
    this.headSeg = segs.at(-1) ?? this.checkpoint.seg;
    this.truncateTornTail(this.headSeg);
    this.headFd = fs.openSync(this.segPath(this.headSeg), 'a');
    if (!this.sizes.has(this.headSeg)) this.sizes.set(this.headSeg, 0);
    this.shared.setHead(this.headSeg, this.sizes.get(this.headSeg)!);
    this.shared.setCommitted(this.checkpoint.seg, this.checkpoint.off);
  }

  close(): void {
    if (this.headFd >= 0) fs.closeSync(this.headFd);
    this.headFd = -1;
  }

  /** Bytes appended but not yet committed to the store. */
  pendingBytes(): number {
    const seg = this.shared.committedSeg;
    const off = this.shared.committedOff;
    if (seg !== this.checkpoint.seg) for (const s of this.sizes.keys()) if (s < seg) this.sizes.delete(s);
    this.checkpoint.seg = seg;
    this.checkpoint.off = off;
    let total = 0;
    for (const [s, size] of this.sizes) if (s >= seg) total += size;
    return total - off + this.pendingLength;
  }

  get full(): boolean {
    return this.pendingBytes() >= this.opts.maxBytes;
  }

  /** Appends one line; inside `batch()` it joins the batch's single write. */
  append(line: string): void {
    if (this.pending) {
      this.pending.push(line);
      this.pendingLength += line.length + 1;
    } else this.write(line + '\n');
  }

  /**
   * Runs `fn` with its appends gathered into one write(2) at the end: a socket read of a
   * thousand messages costs one system call, not a thousand. The write is done when this returns.
   */
  batch<T>(fn: () => T): T {
    if (this.pending) return fn();
    const lines: string[] = [];
    this.pending = lines;
    this.pendingLength = 0;
    try {
      return fn();
    } finally {
      this.pending = undefined;
      this.pendingLength = 0;
      if (lines.length > 0) this.write(lines.join('\n') + '\n');
    }
  }

  private write(data: string): void {
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
    this.shared.setHead(this.headSeg, size + bytes);
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
