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

/**
 * The HTTP adapters' one way in: the same pipeline, journal and bus as MQTT. A push is checked
 * whole first (every message decoded against its kind, as the pipeline will), so a bad part
 * refuses all of it and nothing is partly stored; then its messages go through the pipeline in
 * one journal write, and the answer (200) comes only once that write is on disk.
 */
export class PushIngest {
  readonly replays: ReplayGuard;

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
    const { journal, pipeline } = this.d;
    const fresh = units.filter((u) => u.key === undefined || !this.replays.has(u.key));
    const replayed = units.length - fresh.length;
    const messages = fresh.flatMap((u) => u.messages.map((m) => ({ topic: deviceTopic({ communityId: m.device.communityId, kind: m.device.kind, deviceId: m.device.id, channel: m.channel }), bytes: Buffer.from(typeof m.payload === 'string' ? m.payload : JSON.stringify(m.payload)), m })));
    if (messages.length === 0) return { status: 200, body: { ok: true, stored: 0, replayed } };
    // Events may use the spool's reserve, telemetry may not: the same budget as on MQTT.
    const full = messages.some((x) => x.m.channel !== 'telemetry') ? journal.full : journal.telemetryFull;
    if (full) return { status: 503, body: { error: 'SPOOL_FULL', message: 'the hub cannot spool this push now; retry later' }, retryAfterS: 5 };
    const receivedAt = Date.now();
    for (const x of messages) {
      const decoded = decodePayload(x.m.device.kind, x.m.channel, x.bytes, receivedAt, this.d.timeWindow);
      if (!decoded.ok) return this.refuse(decoded.reason, x.topic, decoded.message, body);
    }
    let refused: IngestRejectReason | undefined;
    journal.batch(() => {
      for (const x of messages) {
        if (pipeline.handle(x.topic, x.bytes, receivedAt) === 'rejected') refused ??= this.d.rejects.recent(1)[0]?.reason ?? 'invalid_payload';
      }
    });
    if (journal.holding && !(await this.durable())) {
      return { status: 503, body: { error: 'SPOOL_UNAVAILABLE', message: 'the spool write is held (disk); retry later' }, retryAfterS: 5 };
    }
    // Only what reached the journal counts as seen: a refused packet may come again and be taken.
    if (refused === undefined) for (const u of fresh) if (u.key !== undefined) this.replays.add(u.key);
    if (refused !== undefined) return { status: STATUS_OF[refused] ?? 422, body: { error: refused.toUpperCase(), message: `the hub refused this push (${refused}); see /api/ingest/rejected` } };
    return { status: 200, body: { ok: true, stored: messages.length, replayed } };
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
