/**
 * Journal positions shared between the ingest thread (appends) and the store-writer thread
 * (reads and commits), without messages per append: the appender publishes where the head is,
 * the reader publishes what is committed. Stale reads are harmless: the reader only ever reads
 * whole lines below the head it saw, and the appender's budget check is conservative.
 */
export class SharedJournalState {
  readonly buffer: SharedArrayBuffer;
  private readonly v: Float64Array;

  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(8 * 4);
    this.v = new Float64Array(this.buffer);
  }

  get headSeg(): number {
    return this.v[0]!;
  }
  get headSize(): number {
    return this.v[1]!;
  }
  setHead(seg: number, size: number): void {
    this.v[1] = size;
    this.v[0] = seg;
  }

  get committedSeg(): number {
    return this.v[2]!;
  }
  get committedOff(): number {
    return this.v[3]!;
  }
  setCommitted(seg: number, off: number): void {
    this.v[2] = seg;
    this.v[3] = off;
  }
}
