import type { Logger } from '../log.ts';
import { RateLimitedLog } from '../log.ts';
import type { HubMetrics } from '../metrics.ts';

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
  | 'rate_limited';

export interface RejectedMessage {
  at: number;
  topic: string;
  reason: IngestRejectReason;
  message: string;
  bytes: number;
  /** The first bytes of the payload, as text, for inspection. */
  sample: string;
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
    if (this.ring.length < this.capacity) this.ring.push(entry);
    else this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    this.rateLimited.warn(reason, { topic: entry.topic, detail: message }, 'rejected device message');
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
