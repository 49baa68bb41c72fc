import type { Logger } from '../log.ts';
import type { HubMetrics } from '../metrics.ts';
import type { JournalBatch, JournalPosition } from '../spool/journal.ts';
import type { TimeWindow } from '#devices';
import { refusalOf, storeWindow, type Refusal, type StoreRefusalReason } from './acceptance.ts';
import { DEFAULT_RETENTION, type Retention, type StoredPoint, type TelemetryStore } from './types.ts';

/** The journal as the writer sees it: the Journal itself, or a JournalReader in a worker. */
export interface JournalSource {
  readonly committed: JournalPosition;
  read(maxRecords: number, from?: JournalPosition): JournalBatch;
  commit(pos: JournalPosition): void;
  pendingBytes(): number;
}

/** One acknowledged point that the store did not keep, as /api/ingest/rejected shows it. */
export interface RefusedPoint {
  reason: StoreRefusalReason;
  message: string;
  /** The topic it came on, rebuilt from the point (scope filters read the community from it). */
  topic: string;
  /** The spooled point as JSON, cut short. */
  sample: string;
}

/** Where the writer reports what it did (metrics in this thread, or messages from a worker). */
export interface WriterSink {
  stored(points: number, writeS: number, ingestToStoredS: Float64Array, deviceToStoredS: Float64Array): void;
  dropped(refused: RefusedPoint[]): void;
  writeFailed(): void;
  storeState(up: boolean, lastError?: string): void;
  committed(pendingBytes: number): void;
}

export function metricsSink(metrics: HubMetrics, onCommit?: () => void, onRefused?: (refused: RefusedPoint[]) => void): WriterSink {
  return {
    stored(points, writeS, ingest, device) {
      metrics.storeLatency.observe(writeS);
      metrics.batchSize.observe(points);
      metrics.pointsStored.inc(points);
      for (const v of ingest) metrics.ingestToStored.observe(v);
      for (const v of device) metrics.deviceToStored.observe(v);
    },
    dropped(refused) {
      for (const r of refused) metrics.pointsDropped.inc({ reason: r.reason });
      onRefused?.(refused);
    },
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
  /** What the store keeps; points past it are refused (and reported) before either store sees them. */
  retention?: Retention;
  now?: () => number;
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
  private readonly window: TimeWindow;
  private readonly now: () => number;
  private writing = 0;
  /** Bumped by every write, so a probe that raced one does not overrule what the write found. */
  private writes = 0;
  private stateReported = false;

  constructor(private readonly o: StoreWriterOptions) {
    this.window = storeWindow(o.retention ?? DEFAULT_RETENTION);
    this.now = o.now ?? Date.now;
  }

  /**
   * Keeps the reported store state true while no writes tell: an idle writer would otherwise
   * report "up" through an outage, or "down" long after the store came back with nothing to replay.
   */
  async probe(): Promise<void> {
    if (this.writing > 0) return;
    const writes = this.writes;
    const up = await this.o.store.ping().catch(() => false);
    if (this.writing > 0 || this.writes !== writes) return;
    // Down → up only when nothing waits: with a backlog, the next successful write says so.
    if (up && !this.storeUp && this.o.journal.pendingBytes() > 0) return;
    if (up === this.storeUp && this.stateReported) return;
    this.storeUp = up;
    if (up) this.lastError = undefined;
    else this.lastError ??= `${this.o.store.name} does not answer`;
    this.stateReported = true;
    this.o.sink.storeState(up, this.lastError);
  }

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
    const now = this.now();
    let refused: RefusedPoint[] | undefined;
    // A line that throws here would stop the loop, and a restarted writer would meet it again: report it and go on.
    const points: StoredPoint[] = [];
    for (const r of records) {
      const p = parsePoint(r);
      if (typeof p === 'string') (refused ??= []).push({ reason: 'corrupt_spool', message: p, topic: '', sample: r.slice(0, 200) });
      else points.push(p);
    }
    let late: Set<StoredPoint> | undefined;
    for (const p of points) {
      const r = refusalOf(p, now, this.window);
      if (!r) continue;
      (refused ??= []).push(describeRefusal(p, r));
      (late ??= new Set()).add(p);
    }
    const toWrite = late ? points.filter((p) => !late.has(p)) : points;
    const started = performance.now();
    let storeRefused: Refusal[] = [];
    this.writing++;
    this.writes++;
    try {
      if (toWrite.length > 0) storeRefused = (await store.write(toWrite))?.refused ?? [];
    } catch (err) {
      sink.writeFailed();
      this.lastError = err instanceof Error ? err.message : String(err);
      if (this.storeUp) log.error({ store: store.name, err: this.lastError }, 'store write failed; spooling to disk until it returns');
      this.storeUp = false;
      this.stateReported = true;
      sink.storeState(false, this.lastError);
      return false;
    } finally {
      this.writing--;
    }
    if (!this.storeUp || !this.stateReported) {
      if (!this.storeUp) log.info({ store: store.name }, 'store is back; replaying the spool');
      this.stateReported = true;
      sink.storeState(true);
    }
    this.storeUp = true;
    this.lastError = undefined;
    this.backoffMs = 0;
    let stored = toWrite;
    if (storeRefused.length > 0) {
      const indices = new Set<number>();
      for (const r of storeRefused) {
        indices.add(r.index);
        (refused ??= []).push(describeRefusal(toWrite[r.index]!, r));
      }
      stored = toWrite.filter((_, i) => !indices.has(i));
    }
    if (refused) {
      sink.dropped(refused);
      log.warn({ store: store.name, refused: refused.length, reason: refused[0]!.reason, err: refused[0]!.message }, 'store refused acknowledged points; they are in /api/ingest/rejected');
    }
    const done = Date.now();
    const ingest = new Float64Array(stored.length);
    const device = new Float64Array(stored.length);
    for (let i = 0; i < stored.length; i++) {
      ingest[i] = (done - stored[i]!.rx) / 1000;
      device[i] = Math.max(0, done - stored[i]!.ts) / 1000;
    }
    if (stored.length > 0) sink.stored(stored.length, (performance.now() - started) / 1000, ingest, device);
    return true;
  }
}

const MEASURED_CHANNEL = { t: 'telemetry', e: 'event' } as const;

/** A spool line as a point, or why it is none. */
function parsePoint(line: string): StoredPoint | string {
  let p: unknown;
  try {
    p = JSON.parse(line);
  } catch (err) {
    return `spool line is not JSON (${(err as Error).message.slice(0, 80)})`;
  }
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return 'spool line is not a JSON object';
  const o = p as Record<string, unknown>;
  if ((o.m !== 't' && o.m !== 'e') || typeof o.d !== 'string' || typeof o.k !== 'string' || typeof o.c !== 'string'
    || typeof o.ts !== 'number' || !Number.isFinite(o.ts) || typeof o.rx !== 'number' || typeof o.r !== 'object' || o.r === null) {
    return 'spool line is not a stored point';
  }
  return o as unknown as StoredPoint;
}

function describeRefusal(p: StoredPoint, r: Omit<Refusal, 'index'>): RefusedPoint {
  return {
    reason: r.reason,
    message: r.message,
    topic: `community/${p.c}/${p.k}/${p.d}/${MEASURED_CHANNEL[p.m]}`,
    sample: JSON.stringify(p).slice(0, 200),
  };
}
