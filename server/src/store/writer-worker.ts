import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { JournalReader } from '../spool/journal-reader.ts';
import { SharedJournalState } from '../spool/shared-state.ts';
import { createStore } from './factory.ts';
import { DEFAULT_RETENTION, type TelemetryStore } from './types.ts';
import { StoreWriter, type WriterSink } from './writer.ts';
import type { WriterWorkerData, WriterWorkerMessage } from './writer-host.ts';

/**
 * The store writer's own thread: decoding spooled points, building write batches and the store
 * I/O itself (SQLite transactions are synchronous) never stall ingest or alert delivery.
 */
const data = workerData as WriterWorkerData;
/** How soon hub_store_up and /healthz notice a store that went away (or came back) while idle. */
const PROBE_MS = 2000;
const port = parentPort!;
const post = (m: WriterWorkerMessage, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer ?? []);
const log = pino({ level: data.logLevel, base: { component: 'store-writer' }, timestamp: pino.stdTimeFunctions.isoTime });

const shared = new SharedJournalState(data.shared);
const journal: JournalReader = new JournalReader(data.dir, shared, () => post({ t: 'committed', pendingBytes: journal.pendingBytes() }));
const retention = data.retention ?? DEFAULT_RETENTION;
const store: TelemetryStore = createStore(data.store, retention);
await store.start();

const sink: WriterSink = {
  stored: (points, writeS, ingest, device) => post({ t: 'stored', points, writeS, ingest, device }, [ingest.buffer as ArrayBuffer, device.buffer as ArrayBuffer]),
  dropped: (refused) => post({ t: 'dropped', refused }),
  writeFailed: () => post({ t: 'writeFailed' }),
  storeState: (up, lastError) => post({ t: 'state', up, ...(lastError ? { lastError } : {}) }),
  committed: (pendingBytes) => post({ t: 'committed', pendingBytes }),
};
const writer = new StoreWriter({ journal, store, sink, log, batchSize: data.batchSize, flushMs: data.flushMs, concurrency: data.concurrency, retention });
await writer.probe();
writer.start();
const probe = setInterval(() => void writer.probe(), PROBE_MS);

// The appender publishes its head in shared memory; a cheap poll replaces a message per append.
let lastHead = -1;
const poll = setInterval(() => {
  const head = shared.headSeg * 1e15 + shared.headSize;
  if (head !== lastHead) {
    lastHead = head;
    writer.notify();
  }
}, 5);

// Rollups and retention run here too, off the ingest thread.
const maintain = () =>
  store.maintain?.(Date.now()).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'store maintenance failed'));
const maintenance = setInterval(() => void maintain(), 60_000);
const firstMaintenance = setTimeout(() => void maintain(), 10_000);

port.on('message', async (m: { t: 'stop'; deadlineMs: number }) => {
  if (m.t !== 'stop') return;
  clearInterval(poll);
  clearInterval(probe);
  clearInterval(maintenance);
  clearTimeout(firstMaintenance);
  await writer.stop(m.deadlineMs);
  journal.close();
  await store.stop();
  post({ t: 'stopped' });
});
post({ t: 'ready' });
