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
  /**
   * Part of `maxBytes` only events and status may use (default 10%, 64 KiB–64 MiB): a telemetry
   * backlog that fills the spool never holds an alarm back.
   */
  eventReserveBytes?: number;
  segmentBytes?: number;
  /** How often a write that failed (disk full) is tried again. */
  retryMs?: number;
}

/** Why appends are held: the budget is used up, or the disk refused the last write. */
export type SpoolHoldReason = 'budget' | 'disk_full' | 'io_error';

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
  /** Bytes a failed write(2) could not put on disk; they go first once the disk takes them. */
  private unwritten: Buffer | undefined;
  private writeError: { code: string; message: string } | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly reserve: number;

  readonly shared: SharedJournalState;
  /** Told when held writes reached the disk (appends may go on). */
  onWritable: (() => void) | undefined;

  constructor(private readonly opts: JournalOptions) {
    this.shared = opts.shared ?? new SharedJournalState();
    this.segmentBytes = opts.segmentBytes ?? 64 * 1024 * 1024;
    this.reserve = Math.min(opts.maxBytes / 2, opts.eventReserveBytes ?? Math.min(64 * 1024 * 1024, Math.max(64 * 1024, opts.maxBytes * 0.1)));
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
    clearInterval(this.retryTimer);
    this.retryTimer = undefined;
    if (this.unwritten) this.retryWrite();
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

  /** Events and status wait: the whole budget is used, or the disk refuses writes. */
  get full(): boolean {
    return this.unwritten !== undefined || this.pendingBytes() >= this.opts.maxBytes;
  }

  /** Telemetry waits: only the events' reserve is left (or the disk refuses writes). */
  get telemetryFull(): boolean {
    return this.unwritten !== undefined || this.pendingBytes() >= this.opts.maxBytes - this.reserve;
  }

  /** True while what was appended is not all on disk: acknowledgements must wait. */
  get holding(): boolean {
    return this.unwritten !== undefined;
  }

  /** Why appends are held right now, if they are. */
  holdReason(): SpoolHoldReason | undefined {
    if (this.writeError) return this.writeError.code === 'ENOSPC' || this.writeError.code === 'EDQUOT' ? 'disk_full' : 'io_error';
    return this.telemetryFull ? 'budget' : undefined;
  }

  get lastWriteError(): string | undefined {
    return this.writeError?.message;
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
    const buf = Buffer.from(data);
    if (this.unwritten) {
      // Held behind a failed write: keeps the order, and the caller already sees holding.
      this.unwritten = Buffer.concat([this.unwritten, buf]);
      return;
    }
    this.tryWrite(buf);
  }

  /**
   * All of `buf` reaches the segment, or none of it does: after a failed or short write the
   * segment is cut back to its last whole line (a torn line is never counted as spooled) and
   * `buf` is held and tried again, so a full disk is backpressure, not a crash.
   */
  private tryWrite(buf: Buffer): boolean {
    const before = this.sizes.get(this.headSeg) ?? 0;
    let size = before;
    try {
      if (size > 0 && size + buf.length > this.segmentBytes) {
        const fd = fs.openSync(this.segPath(this.headSeg + 1), 'a');
        fs.closeSync(this.headFd);
        this.headSeg++;
        this.headFd = fd;
        this.sizes.set(this.headSeg, 0);
        size = 0;
      }
      let done = 0;
      while (done < buf.length) done += fs.writeSync(this.headFd, buf, done, buf.length - done);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      try {
        fs.ftruncateSync(this.headFd, size);
      } catch {
        // The next open() cuts a torn tail anyway (truncateTornTail).
      }
      this.hold(buf, e);
      return false;
    }
    this.sizes.set(this.headSeg, size + buf.length);
    this.shared.setHead(this.headSeg, size + buf.length);
    return true;
  }

  private hold(buf: Buffer, err: NodeJS.ErrnoException): void {
    this.unwritten = buf;
    this.writeError = { code: err.code ?? 'EIO', message: err.message };
    this.retryTimer ??= setInterval(() => this.retryWrite(), this.opts.retryMs ?? 250);
    this.retryTimer.unref();
  }

  private retryWrite(): void {
    const buf = this.unwritten;
    if (!buf) return;
    this.unwritten = undefined;
    if (!this.tryWrite(buf)) return;
    this.writeError = undefined;
    clearInterval(this.retryTimer);
    this.retryTimer = undefined;
    this.onWritable?.();
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
