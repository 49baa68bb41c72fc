import { decodePayload, deviceTopic, type Channel, type TimeWindow } from '#devices';
import type { DeviceRegistry, Device } from '../../registry/devices.ts';
import type { Journal } from '../../spool/journal.ts';
import type { IngestPipeline } from '../pipeline.ts';
import type { IngestRejectReason, RejectLog } from '../rejects.ts';
import type { Product } from './platforms.ts';
import { ReplayGuard } from './replay-guard.ts';

/** One message as an MQTT device of the kind would have published it. */
export interface PushMessage {
  device: Device;
  channel: Channel;
  payload: Record<string, unknown> | 'online' | 'offline';
}

/** The messages one platform packet stands for; `key` (platform packet number) makes a retry a no-op. */
export interface PushUnit {
  key?: string;
  messages: PushMessage[];
}

export interface PushAnswer {
  status: number;
  body: Record<string, unknown>;
  /** seconds, for 503 */
  retryAfterS?: number;
}

export interface PushIngestDeps {
  pipeline: IngestPipeline;
  journal: Journal;
  registry: DeviceRegistry;
  rejects: RejectLog;
  timeWindow?: TimeWindow;
  replays?: ReplayGuard;
  /** How long an answer may wait for a held disk write before it says 503 (the platform retries). */
  durableWaitMs?: number;
}

const STATUS_OF: Partial<Record<IngestRejectReason, number>> = {
  unknown_product: 404,
  unknown_device: 404,
  device_mismatch: 404,
  bad_signature: 401,
  rate_limited: 429,
  oversized: 413,
};

interface QueuedPush {
  units: { key?: string; lines: { topic: string; bytes: Buffer; m: PushMessage }[] }[];
  replayed: number;
  receivedAt: number;
  resolve: (a: PushAnswer) => void;
}

/**
 * The HTTP adapters' one way in: the same pipeline, journal and bus as MQTT. A push is checked
 * whole first (every message decoded against its kind, as the pipeline will), so a bad part
 * refuses all of it and nothing is partly stored; then its messages go through the pipeline in
 * one journal write shared with the pushes that arrived at the same time, and the answer (200)
 * comes only once that write is on disk.
 */
export class PushIngest {
  readonly replays: ReplayGuard;
  private queue: QueuedPush[] = [];

  constructor(private readonly d: PushIngestDeps) {
    this.replays = d.replays ?? new ReplayGuard();
  }

  start(): void {
    this.replays.start();
  }

  stop(): void {
    this.replays.stop();
  }

  /** The hub device a platform device key stands for, if it is provisioned with the product's kind. */
  device(product: Product, key: string): Device | { reason: IngestRejectReason; message: string } {
    const id = product.devices?.[key] ?? key;
    const device = this.d.registry.get(id);
    if (!device) return { reason: 'unknown_device', message: `device ${key}${id !== key ? ` (hub id ${id})` : ''} is not provisioned in the hub` };
    if (device.kind !== product.kind) return { reason: 'device_mismatch', message: `device ${id} is a ${device.kind}, product ${product.id} makes ${product.kind}` };
    return device;
  }

  /** Counts and answers a refusal; `where` names the source for /api/ingest/rejected (a device topic when the device is known). */
  refuse(reason: IngestRejectReason, where: string, message: string, body: Uint8Array): PushAnswer {
    this.d.rejects.record(reason, where, message, body);
    return { status: STATUS_OF[reason] ?? 422, body: { error: reason.toUpperCase(), message } };
  }

  async submit(units: PushUnit[], body: Uint8Array): Promise<PushAnswer> {
    const { journal } = this.d;
    const fresh = units.filter((u) => u.key === undefined || !this.replays.has(u.key));
    const replayed = units.length - fresh.length;
    const prepared = fresh.map((u) => ({ key: u.key, lines: u.messages.map((m) => ({ topic: deviceTopic({ communityId: m.device.communityId, kind: m.device.kind, deviceId: m.device.id, channel: m.channel }), bytes: Buffer.from(typeof m.payload === 'string' ? m.payload : JSON.stringify(m.payload)), m })) }));
    const lines = prepared.flatMap((u) => u.lines);
    if (lines.length === 0) return { status: 200, body: { ok: true, stored: 0, replayed } };
    // Events may use the spool's reserve, telemetry may not: the same budget as on MQTT.
    const full = lines.some((x) => x.m.channel !== 'telemetry') ? journal.full : journal.telemetryFull;
    if (full) return { status: 503, body: { error: 'SPOOL_FULL', message: 'the hub cannot spool this push now; retry later' }, retryAfterS: 5 };
    const receivedAt = Date.now();
    // Several messages are checked whole first, so nothing is partly stored; a single one the
    // pipeline checks itself (decoding it twice was a fifth of a push's cost).
    if (lines.length > 1) {
      for (const x of lines) {
        const decoded = decodePayload(x.m.device.kind, x.m.channel, x.bytes, receivedAt, this.d.timeWindow);
        if (!decoded.ok) return this.refuse(decoded.reason, x.topic, decoded.message, body);
      }
    }
    return new Promise((resolve) => {
      this.queue.push({ units: prepared, replayed, receivedAt, resolve });
      if (this.queue.length === 1) setImmediate(() => void this.flush());
    });
  }

  /**
   * The pushes that arrived since the last turn of the event loop go into the journal in one
   * write (concurrent requests share a system call), and each is answered once it is on disk.
   */
  private async flush(): Promise<void> {
    const jobs = this.queue;
    this.queue = [];
    const { journal, pipeline, rejects } = this.d;
    const outcomes = jobs.map(() => ({ stored: 0, replayed: 0, refused: undefined as IngestRejectReason | undefined, keys: [] as string[] }));
    // A retry can arrive while its first copy waits in the same flush: that is a replay too.
    const taken = new Set<string>();
    journal.batch(() => {
      jobs.forEach((job, i) => {
        const out = outcomes[i]!;
        out.replayed = job.replayed;
        for (const u of job.units) {
          if (u.key !== undefined && (taken.has(u.key) || this.replays.has(u.key))) {
            out.replayed++;
            continue;
          }
          for (const x of u.lines) {
            if (pipeline.handle(x.topic, x.bytes, job.receivedAt) === 'rejected') out.refused ??= rejects.recent(1)[0]?.reason ?? 'invalid_payload';
            else out.stored++;
          }
          if (u.key !== undefined) out.keys.push(u.key);
        }
        // Only what reached the journal counts as seen: a refused packet may come again and be taken.
        if (out.refused === undefined) for (const k of out.keys) taken.add(k);
      });
    });
    const durable = !journal.holding || (await this.durable());
    jobs.forEach((job, i) => {
      const out = outcomes[i]!;
      if (!durable) return job.resolve({ status: 503, body: { error: 'SPOOL_UNAVAILABLE', message: 'the spool write is held (disk); retry later' }, retryAfterS: 5 });
      if (out.refused !== undefined) return job.resolve({ status: STATUS_OF[out.refused] ?? 422, body: { error: out.refused.toUpperCase(), message: `the hub refused this push (${out.refused}); see /api/ingest/rejected` } });
      for (const k of out.keys) this.replays.add(k);
      job.resolve({ status: 200, body: { ok: true, stored: out.stored, replayed: out.replayed } });
    });
  }

  /** Waits for a held journal write (disk full, I/O error) to reach the disk, up to durableWaitMs. */
  private async durable(): Promise<boolean> {
    const until = Date.now() + (this.d.durableWaitMs ?? 3000);
    while (this.d.journal.holding) {
      if (Date.now() >= until) return false;
      await new Promise((r) => setTimeout(r, 25));
    }
    return true;
  }
}
