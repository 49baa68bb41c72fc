import type { Logger } from '../log.ts';
import { RateLimitedLog } from '../log.ts';
import type { HubMetrics } from '../metrics.ts';
import type { StoreRefusalReason } from '../store/acceptance.ts';
import type { RefusedPoint } from '../store/writer.ts';
import type { GbRejectReason } from '../gb28181/rejects.ts';

export type IngestRejectReason =
  | 'unknown_topic'
  | 'unknown_kind'
  | 'bad_id'
  | 'oversized'
  | 'not_json'
  | 'not_object'
  | 'invalid_payload'
  | 'bad_timestamp'
  | 'bad_status'
  | 'device_mismatch'
  | 'too_deep'
  | 'rate_limited'
  | 'registry_full'
  | 'beyond_retention'
  // HTTP push from the carriers' IoT platforms (ingest/adapters):
  | 'unknown_product'
  | 'bad_signature'
  | 'unknown_device'
  | 'unmappable'
  | StoreRefusalReason
  | GbRejectReason;

export interface RejectedMessage {
  at: number;
  topic: string;
  reason: IngestRejectReason;
  message: string;
  bytes: number;
  /** The first bytes of the payload, as text, for inspection (for a store refusal: the stored point). */
  sample: string;
  /** 'store' when the message was acknowledged and then refused by the store (hub_points_dropped_total). */
  stage?: 'store';
}

/** Counts every rejected message by reason, keeps the last N for inspection, logs each cause rate-limited. */
export class RejectLog {
  private readonly ring: RejectedMessage[] = [];
  private next = 0;
  private readonly rateLimited: RateLimitedLog;
  readonly counts = new Map<IngestRejectReason, number>();

  constructor(
    private readonly metrics: HubMetrics,
    log: Logger,
    private readonly capacity: number,
  ) {
    this.rateLimited = new RateLimitedLog(log);
  }

  record(reason: IngestRejectReason, topic: string, message: string, payload: Uint8Array): void {
    this.metrics.messagesRejected.inc({ reason });
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
    const entry: RejectedMessage = {
      at: Date.now(),
      topic: topic.slice(0, 256),
      reason,
      message,
      bytes: payload.length,
      sample: Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.length, 200)).toString('utf8'),
    };
    this.keep(entry);
    this.rateLimited.warn(reason, { topic: entry.topic, detail: message }, 'rejected device message');
  }

  /** Points the store refused after the acknowledgement: listed and counted here, measured as hub_points_dropped_total. */
  recordStoreRefusals(refused: RefusedPoint[]): void {
    const at = Date.now();
    for (const r of refused) {
      this.counts.set(r.reason, (this.counts.get(r.reason) ?? 0) + 1);
      this.keep({ at, topic: r.topic.slice(0, 256), reason: r.reason, message: r.message, bytes: r.sample.length, sample: r.sample, stage: 'store' });
    }
  }

  private keep(entry: RejectedMessage): void {
    if (this.ring.length < this.capacity) this.ring.push(entry);
    else this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Newest first. */
  recent(limit: number): RejectedMessage[] {
    const ordered = this.ring.length < this.capacity ? [...this.ring] : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
    return ordered.reverse().slice(0, limit);
  }

  total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }
}
