import type { Logger } from '../log.ts';
import type { HubMetrics } from '../metrics.ts';
import type { JournalBatch, JournalPosition } from '../spool/journal.ts';
import { StoreRejectedError } from './influx.ts';
import type { StoredPoint, TelemetryStore } from './types.ts';

/** The journal as the writer sees it: the Journal itself, or a JournalReader in a worker. */
export interface JournalSource {
  readonly committed: JournalPosition;
  read(maxRecords: number, from?: JournalPosition): JournalBatch;
  commit(pos: JournalPosition): void;
  pendingBytes(): number;
}

/** Where the writer reports what it did (metrics in this thread, or messages from a worker). */
export interface WriterSink {
  stored(points: number, writeS: number, ingestToStoredS: Float64Array, deviceToStoredS: Float64Array): void;
  dropped(points: number): void;
  writeFailed(): void;
  storeState(up: boolean, lastError?: string): void;
  committed(pendingBytes: number): void;
}

export function metricsSink(metrics: HubMetrics, onCommit?: () => void): WriterSink {
  return {
    stored(points, writeS, ingest, device) {
      metrics.storeLatency.observe(writeS);
      metrics.batchSize.observe(points);
      metrics.pointsStored.inc(points);
      for (const v of ingest) metrics.ingestToStored.observe(v);
      for (const v of device) metrics.deviceToStored.observe(v);
    },
    dropped: (points) => metrics.pointsDropped.inc(points),
    writeFailed: () => metrics.storeWriteErrors.inc(),
    storeState: (up) => metrics.storeUp.set(up ? 1 : 0),
    committed(pending) {
      metrics.spoolBytes.set(pending);
      onCommit?.();
    },
  };
}

export interface StoreWriterOptions {
  journal: JournalSource;
  store: TelemetryStore;
  sink: WriterSink;
  log: Logger;
  batchSize: number;
  /** How long to let a small batch fill before writing it. */
  flushMs: number;
  /** Batches written at once. */
  concurrency?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Moves points from the journal into the store in batches and commits the journal checkpoint
 * after each successful write. A failing store leaves the points in the journal and is retried
 * with backoff; nothing upstream waits for it (ingest and alerts never block on the store).
 */
export class StoreWriter {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private wakePromise: Promise<void> | undefined;
  private backoffMs = 0;
  storeUp = true;
  lastError: string | undefined;
  /** Called after each commit, e.g. to release ingest waiting on a full spool. */
  onCommit: (() => void) | undefined;

  constructor(private readonly o: StoreWriterOptions) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** New data is in the journal. */
  notify(): void {
    this.wake?.();
  }

  /** Drains what is in the journal (within the deadline), then stops. */
  async stop(deadlineMs = 10_000): Promise<void> {
    this.running = false;
    this.notify();
    const timeout = sleep(deadlineMs).then(() => 'timeout' as const);
    const result = await Promise.race([this.loop, timeout]);
    if (result === 'timeout') this.o.log.warn('store writer did not drain in time; the spool keeps the rest for the next start');
  }

  /**
   * Keeps up to `concurrency` batches in flight (the store works on several cores), and commits
   * the journal checkpoint strictly in order. After a failure everything from the last commit is
   * written again: idempotent writes make the repeats harmless.
   */
  private async run(): Promise<void> {
    const { journal, batchSize, flushMs } = this.o;
    const concurrency = this.o.concurrency ?? 4;
    let cursor = journal.committed;
    const inflight: { end: JournalPosition; settled: boolean; ok: boolean; done: Promise<void> }[] = [];
    // Only unsettled writes can wake the loop; a settled one behind a pending head would spin it.
    const pending = () => inflight.filter((b) => !b.settled).map((b) => b.done);
    const settleInOrder = () => {
      while (inflight[0]?.settled && inflight[0].ok) {
        journal.commit(inflight.shift()!.end);
        this.o.sink.committed(journal.pendingBytes());
        this.onCommit?.();
      }
    };
    while (true) {
      if (inflight.some((b) => b.settled && !b.ok)) {
        await Promise.all(inflight.map((b) => b.done));
        settleInOrder();
        inflight.length = 0;
        cursor = journal.committed;
        if (!this.running) return; // the rest stays in the spool; a restart replays it
        this.backoffMs = Math.min(Math.max(this.backoffMs * 2, 250), 5000);
        await sleep(this.backoffMs);
        continue;
      }
      if (inflight.length >= concurrency || (!this.storeUp && inflight.length > 0)) {
        const waiting = pending();
        if (waiting.length > 0) await Promise.race(waiting);
        continue;
      }
      let batch = journal.read(batchSize, cursor);
      if (batch.records.length === 0) {
        if (inflight.length > 0) {
          await Promise.race([...pending(), this.nextWake()]);
          continue;
        }
        if (!this.running) return;
        await this.nextWake();
        continue;
      }
      if (batch.records.length < batchSize && this.running && flushMs > 0 && this.storeUp) {
        await sleep(flushMs);
        batch = journal.read(batchSize, cursor);
      }
      cursor = batch.end;
      const entry = { end: batch.end, settled: false, ok: false, done: Promise.resolve() };
      entry.done = this.writeBatch(batch.records).then((ok) => {
        entry.settled = true;
        entry.ok = ok;
        settleInOrder();
      });
      inflight.push(entry);
    }
  }

  /** One shared wake-up: resolved by notify() or after a second, whichever comes first. */
  private nextWake(): Promise<void> {
    if (!this.wakePromise) {
      this.wakePromise = new Promise<void>((resolve) => {
        const timer = setTimeout(() => this.wake?.(), 1000);
        timer.unref();
        this.wake = () => {
          clearTimeout(timer);
          this.wake = undefined;
          this.wakePromise = undefined;
          resolve();
        };
      });
    }
    return this.wakePromise;
  }

  private async writeBatch(records: string[]): Promise<boolean> {
    const { store, sink, log } = this.o;
    const points = records.map((r) => JSON.parse(r) as StoredPoint);
    const started = performance.now();
    try {
      await store.write(points);
    } catch (err) {
      if (err instanceof StoreRejectedError) {
        // The data itself was refused; InfluxDB kept the valid part of the batch.
        sink.dropped(points.length);
        log.error({ err: err.message, points: points.length }, 'store refused part of a batch as invalid data');
        return true;
      }
      sink.writeFailed();
      this.lastError = err instanceof Error ? err.message : String(err);
      if (this.storeUp) log.error({ store: store.name, err: this.lastError }, 'store write failed; spooling to disk until it returns');
      this.storeUp = false;
      sink.storeState(false, this.lastError);
      return false;
    }
    if (!this.storeUp) {
      log.info({ store: store.name }, 'store is back; replaying the spool');
      sink.storeState(true);
    }
    this.storeUp = true;
    this.lastError = undefined;
    this.backoffMs = 0;
    const now = Date.now();
    const ingest = new Float64Array(points.length);
    const device = new Float64Array(points.length);
    for (let i = 0; i < points.length; i++) {
      ingest[i] = (now - points[i]!.rx) / 1000;
      device[i] = Math.max(0, now - points[i]!.ts) / 1000;
    }
    sink.stored(points.length, (performance.now() - started) / 1000, ingest, device);
    return true;
  }
}
