import { decodePayload, MAX_PAYLOAD_BYTES, parseDeviceTopic, type Channel, type Decoded, type DecodedEvent, type DecodedTelemetry, type TimeWindow } from '#devices';
import { takeReceiveNumber } from './identity.ts';
import { DeviceRateLimiter, jsonTooDeep, type RateLimit } from './limits.ts';
import type { EventBus, DeviceMessage } from '../events.ts';
import { counterChildren, type HubMetrics } from '../metrics.ts';
import type { Device, DeviceRegistry } from '../registry/devices.ts';
import type { Journal } from '../spool/journal.ts';
import type { StoredPoint } from '../store/types.ts';
import type { RejectLog, IngestRejectReason } from './rejects.ts';

export interface IngestDeps {
  registry: DeviceRegistry;
  journal: Journal;
  bus: EventBus;
  rejects: RejectLog;
  metrics: HubMetrics;
  /** Wakes the store writer after an append. */
  onAppended: () => void;
  /** Per-device message budget; default 50/s sustained, bursts of 200. perSecond 0 turns it off. */
  rateLimit?: RateLimit;
  /** Deepest JSON nesting accepted; default 16. */
  maxJsonDepth?: number;
  /** `ts` the store would not keep is refused before the acknowledgement (store/acceptance.ts ingestWindow). */
  timeWindow?: TimeWindow;
}

export const DEFAULT_DEVICE_RATE_LIMIT: RateLimit = { perSecond: 50, burst: 200 };

const topicErrorReason: Record<string, IngestRejectReason> = {
  bad_prefix: 'unknown_topic',
  bad_depth: 'unknown_topic',
  unknown_channel: 'unknown_topic',
  unknown_kind: 'unknown_kind',
  bad_id: 'bad_id',
};

/**
 * One device message from the broker to the journal and the bus:
 * topic → size → JSON → schema → registry → journal (durable) → bus (rules, live views).
 * Synchronous and never throws for bad input, so the caller can acknowledge right after it returns.
 */
/** Events/status and telemetry travel on separate connections: allow them this much reordering. */
const STALE_AFTER_WILL_MS = 2000;

export class IngestPipeline {
  private readonly limiter: DeviceRateLimiter;
  /** When each device's offline status (its last will) arrived. */
  private readonly offlineAt = new Map<string, number>();
  private readonly maxDepth: number;
  private readonly received: ReturnType<typeof counterChildren>;
  private readonly accepted: ReturnType<typeof counterChildren>;

  constructor(private readonly d: IngestDeps) {
    this.received = counterChildren(d.metrics.messagesReceived);
    this.accepted = counterChildren(d.metrics.messagesAccepted);
    this.limiter = new DeviceRateLimiter(d.rateLimit ?? DEFAULT_DEVICE_RATE_LIMIT);
    this.maxDepth = d.maxJsonDepth ?? 16;
  }

  /**
   * `spool`, when given, takes the line instead of the journal: an event held for spool space is
   * still evaluated (rules, alerts) now, and the caller appends it, and acknowledges, later.
   */
  handle(topic: string, payload: Uint8Array, receivedAt = Date.now(), spool?: (line: string) => void): 'accepted' | 'rejected' {
    const { registry, rejects } = this.d;
    const parsed = parseDeviceTopic(topic);
    if (typeof parsed === 'string') {
      this.received('unknown').inc();
      rejects.record(topicErrorReason[parsed] ?? 'unknown_topic', topic, `topic is not community/{c}/{kind}/{id}/{channel} (${parsed})`, payload);
      return 'rejected';
    }
    this.received(parsed.channel).inc();
    if (payload.length <= MAX_PAYLOAD_BYTES && jsonTooDeep(payload, this.maxDepth)) {
      rejects.record('too_deep', topic, `JSON nested deeper than ${this.maxDepth}`, payload);
      return 'rejected';
    }
    const decoded = decodePayload(parsed.kind, parsed.channel, payload, receivedAt, this.d.timeWindow);
    if (!decoded.ok) {
      rejects.record(decoded.reason, topic, decoded.message, payload);
      return 'rejected';
    }
    // Before the limiter, so ids refused here leave no bucket behind either.
    if (!registry.get(parsed.deviceId) && !registry.canRegister(parsed.communityId)) {
      rejects.record('registry_full', topic, `device ${parsed.deviceId} is not provisioned and community ${parsed.communityId} (or the hub) has as many unprovisioned devices as allowed`, payload);
      return 'rejected';
    }
    // Judged on the device's own clock, after decoding gave its ts: a replayed backlog is not a flood (limits.ts).
    const lane = parsed.channel === 'telemetry' ? 'telemetry' : 'events';
    if (!this.limiter.allow(parsed.deviceId, lane, decoded.value.ts, receivedAt, registry.get(parsed.deviceId)?.lastSeenAt)) {
      rejects.record('rate_limited', topic, `device ${parsed.deviceId} is over its message budget`, payload);
      return 'rejected';
    }
    const device = registry.resolve(parsed, receivedAt);
    if (device === 'full') {
      rejects.record('registry_full', topic, `device ${parsed.deviceId} is not provisioned and there is no room for it`, payload);
      return 'rejected';
    }
    if (device === 'mismatch') {
      rejects.record('device_mismatch', topic, `device ${parsed.deviceId} is registered with another kind or community`, payload);
      return 'rejected';
    }
    registry.touch(device, receivedAt);
    this.accepted(parsed.kind, parsed.channel).inc();
    const value = decoded.value;
    if (value.channel === 'status') {
      if (value.online) this.offlineAt.delete(device.id);
      else this.offlineAt.set(device.id, receivedAt);
      this.setOnline(device, value.online, receivedAt);
    } else {
      const line = JSON.stringify(toStoredPoint(device, value, receivedAt));
      if (spool) spool(line);
      else this.d.journal.append(line);
      this.d.onAppended();
      // A device that speaks is online, whatever its last will said; except a last word that
      // was sent before the will and arrived just after it on the other MQTT lane.
      const offlineAt = this.offlineAt.get(device.id);
      const staleLastWord = offlineAt !== undefined && receivedAt - offlineAt < STALE_AFTER_WILL_MS && value.ts <= offlineAt;
      if (!staleLastWord) {
        if (offlineAt !== undefined) this.offlineAt.delete(device.id);
        this.setOnline(device, true, receivedAt);
      }
    }
    this.d.bus.emit('deviceMessage', toDeviceMessage(device, value, receivedAt));
    return 'accepted';
  }

  private setOnline(device: Parameters<DeviceRegistry['setOnline']>[0], online: boolean, at: number): void {
    if (this.d.registry.setOnline(device, online)) this.d.bus.emit('deviceState', { deviceId: device.id, online, at });
  }
}

// Built field by field: object spread was the largest single cost of handle() in the profile.
function toStoredPoint(device: Device, value: DecodedTelemetry | DecodedEvent, receivedAt: number): StoredPoint {
  const point: StoredPoint = {
    m: value.channel === 'telemetry' ? 't' : 'e',
    d: device.id,
    k: device.kind,
    c: device.communityId,
    g: device.gridCellId,
    ts: value.ts,
    rx: receivedAt,
    r: value.readings,
  };
  // Identity (store/types.ts): the device's seq when it sent one, else the hub's receive number.
  if (value.seq !== undefined) point.seq = value.seq;
  else point.u = takeReceiveNumber(device.id);
  if (value.channel === 'event') {
    point.ty = value.type;
    for (const _ in value.detail) {
      point.x = value.detail;
      break;
    }
  }
  return point;
}

function toDeviceMessage(device: Device, value: Decoded, receivedAt: number): DeviceMessage {
  const { id: deviceId, kind, communityId, gridCellId } = device;
  switch (value.channel) {
    case 'telemetry':
      return { deviceId, kind, communityId, gridCellId, receivedAt, channel: value.channel, ts: value.ts, seq: value.seq, readings: value.readings };
    case 'event':
      return { deviceId, kind, communityId, gridCellId, receivedAt, channel: value.channel, ts: value.ts, seq: value.seq, type: value.type, readings: value.readings, detail: value.detail };
    case 'status':
      return { deviceId, kind, communityId, gridCellId, receivedAt, channel: value.channel, ts: value.ts, online: value.online };
  }
}

export type { Channel };
