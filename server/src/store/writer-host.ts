import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.ts';
import type { HubMetrics } from '../metrics.ts';
import type { SharedJournalState } from '../spool/shared-state.ts';
import { metricsSink, type RefusedPoint, type WriterSink } from './writer.ts';
import type { Retention } from './types.ts';
import type { StoreSpec } from './factory.ts';

export interface WriterWorkerData {
  dir: string;
  shared: SharedArrayBuffer;
  store: StoreSpec;
  batchSize: number;
  flushMs: number;
  concurrency: number;
  logLevel: string;
  retention?: Retention;
}

export type WriterWorkerMessage =
  | { t: 'ready' }
  | { t: 'stopped' }
  | { t: 'stored'; points: number; writeS: number; ingest: Float64Array; device: Float64Array }
  | { t: 'dropped'; refused: RefusedPoint[] }
  | { t: 'writeFailed' }
  | { t: 'state'; up: boolean; lastError?: string }
  | { t: 'committed'; pendingBytes: number };

export interface StoreWriterHostOptions {
  dir: string;
  shared: SharedJournalState;
  store: StoreSpec;
  batchSize: number;
  flushMs: number;
  concurrency?: number;
  metrics: HubMetrics;
  log: Logger;
  logLevel: string;
  retention?: Retention;
}

/**
 * Runs the store writer in a worker thread and mirrors what it reports into this thread's
 * metrics and health. If the worker dies it is restarted: the journal still holds every point.
 */
export class StoreWriterHost {
  storeUp = true;
  lastError: string | undefined;
  /** Called after each commit, e.g. to release ingest waiting on a full spool. */
  onCommit: (() => void) | undefined;
  /** Acknowledged points the store refused (they are counted in hub_points_dropped_total either way). */
  onRefused: ((refused: RefusedPoint[]) => void) | undefined;
  private worker: Worker | undefined;
  private sink: WriterSink;
  private stopping = false;
  private workerExited = false;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: StoreWriterHostOptions) {
    this.sink = metricsSink(o.metrics, () => this.onCommit?.(), (refused) => this.onRefused?.(refused));
  }

  async start(): Promise<void> {
    const data: WriterWorkerData = {
      dir: this.o.dir,
      shared: this.o.shared.buffer,
      store: this.o.store,
      batchSize: this.o.batchSize,
      flushMs: this.o.flushMs,
      concurrency: this.o.concurrency ?? 4,
      logLevel: this.o.logLevel,
      ...(this.o.retention ? { retention: this.o.retention } : {}),
    };
    // From source (tests, dev) the worker needs the TypeScript loader; the bundled hub
    // (dist/server, what `npm start` runs) ships the worker as plain JavaScript beside main.js.
    const fromSource = import.meta.url.endsWith('.ts');
    const worker = fromSource
      ? new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData: { ...data, entry: new URL('./writer-worker.ts', import.meta.url).href } })
      : new Worker(new URL('./writer-worker.js', import.meta.url), { workerData: data });
    this.worker = worker;
    this.workerExited = false;
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (m: WriterWorkerMessage) => {
        if (m.t === 'ready') resolve();
        else this.handle(m);
      });
      worker.once('error', (err) => {
        this.o.log.error({ err }, 'store writer thread failed');
        reject(err);
      });
      worker.once('exit', (code) => {
        this.workerExited = true;
        if (this.stopping) return;
        this.o.log.error({ code }, 'store writer thread exited; restarting it (the spool keeps every point)');
        // A stop() meanwhile (a failed hub start) cancels the restart.
        this.restartTimer = setTimeout(() => void (this.stopping ? undefined : this.start().catch(() => {})), 1000).unref();
      });
    });
  }

  /** The worker watches the journal head itself. */
  notify(): void {}

  async stop(deadlineMs = 10_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker || this.workerExited) return;
    const stopped = new Promise<void>((resolve) => {
      worker.on('message', (m: WriterWorkerMessage) => m.t === 'stopped' && resolve());
      worker.once('exit', () => resolve());
    });
    worker.postMessage({ t: 'stop', deadlineMs });
    const timer = setTimeout(() => void worker.terminate(), deadlineMs + 5000);
    await stopped;
    clearTimeout(timer);
    await worker.terminate();
  }

  private handle(m: WriterWorkerMessage): void {
    switch (m.t) {
      case 'stored':
        this.sink.stored(m.points, m.writeS, m.ingest, m.device);
        break;
      case 'dropped':
        this.sink.dropped(m.refused);
        break;
      case 'writeFailed':
        this.sink.writeFailed();
        break;
      case 'state':
        this.storeUp = m.up;
        this.lastError = m.lastError;
        this.sink.storeState(m.up, m.lastError);
        break;
      case 'committed':
        this.sink.committed(m.pendingBytes);
        break;
    }
  }
}
