import { timingSafeEqual } from 'node:crypto';
import type { Device } from '../../registry/devices.ts';
import { decodeAppData, mapRecord, type PlatformRecord } from './mapping.ts';
import type { Product } from './platforms.ts';
import type { PushAnswer, PushIngest, PushMessage, PushUnit } from './push-ingest.ts';

/**
 * China Telecom CTWing (AEP) HTTP subscription push: the platform POSTs one JSON message per
 * device report to the product's callback URL and counts anything but a 200 as a failure (it
 * retries a few times, and pauses an endpoint that fails often). The push carries no signature,
 * so the callback URL carries the product's shared secret (`?token=` or the X-Hub-Token header).
 *
 * - `dataReport`: `payload.serviceData` (products with a thing model) or base64 `payload.APPdata`
 *   (transparent products, decoded by the product's `appData` spec), then the field mapping;
 * - `eventReport`: `payload` / `payload.serviceData` with `serviceId` and `eventType`, mapped the same way;
 * - `deviceOnlineOfflineReport`: `eventType` 1 online, 0 offline, the device's status.
 * The device is its `IMEI`, else its `deviceId`; `upPacketSN` makes a retried packet a no-op.
 */
export class CtwingAdapter {
  private readonly products: Map<string, Product>;

  constructor(
    products: readonly Product[],
    private readonly ingest: PushIngest,
  ) {
    this.products = new Map(products.map((p) => [p.id, p]));
  }

  async push(productId: string, token: string | undefined, body: Buffer): Promise<PushAnswer> {
    const where = `ctwing/${productId}`;
    const product = this.products.get(productId);
    if (!product) return this.ingest.refuse('unknown_product', where, `no CTWing product ${productId} is configured`, body);
    if (!token || !sameSecret(token, product.token)) return this.ingest.refuse('bad_signature', where, 'the callback URL does not carry the product token', body);
    let msg: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      msg = parsed as Record<string, unknown>;
    } catch {
      return this.ingest.refuse('not_json', where, 'the push body is not a JSON object', body);
    }
    const type = msg.messageType;
    if (type !== 'dataReport' && type !== 'eventReport' && type !== 'deviceOnlineOfflineReport') {
      // Other subscriptions (command responses, device added/removed) say nothing about a reading.
      return { status: 200, body: { ok: true, ignored: String(type ?? 'no messageType').slice(0, 64) } };
    }
    const keys = [msg.IMEI, msg.imei, msg.deviceId].filter((k): k is string => typeof k === 'string' && k.length > 0);
    if (keys.length === 0) return this.ingest.refuse('unmappable', where, `${type} carries neither IMEI nor deviceId`, body);
    let device: Device | undefined;
    let miss: { reason: Parameters<PushIngest['refuse']>[0]; message: string } | undefined;
    for (const key of keys) {
      const found = this.ingest.device(product, key);
      if ('reason' in found) miss ??= found;
      else {
        device = found;
        break;
      }
    }
    if (!device) return this.ingest.refuse(miss!.reason, where, miss!.message, body);
    const deviceWhere = `community/${device.communityId}/${device.kind}/${device.id}/${type}`;
    const unit = toUnit(product, device, type, msg);
    if (typeof unit === 'string') return this.ingest.refuse('unmappable', deviceWhere, unit, body);
    return this.ingest.submit([unit], body);
  }
}

function toUnit(product: Product, device: Device, type: string, msg: Record<string, unknown>): PushUnit | string {
  const ts = typeof msg.timestamp === 'number' && Number.isFinite(msg.timestamp) ? msg.timestamp : undefined;
  if (type === 'deviceOnlineOfflineReport') {
    if (msg.eventType !== 1 && msg.eventType !== 0) return `deviceOnlineOfflineReport eventType must be 1 (online) or 0 (offline), not ${JSON.stringify(msg.eventType)}`;
    return { messages: [{ device, channel: 'status', payload: msg.eventType === 1 ? 'online' : 'offline' }] };
  }
  const payload = msg.payload;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return `${type} has no payload object`;
  const p = payload as Record<string, unknown>;
  let record: PlatformRecord;
  if (isObject(p.serviceData)) record = { ...p.serviceData };
  else if (typeof p.APPdata === 'string') {
    if (!product.map.appData) return `product ${product.id} has no appData spec to decode APPdata`;
    const decoded = decodeAppData(product.map.appData, p.APPdata);
    if (typeof decoded === 'string') return decoded;
    record = decoded;
  } else if (type === 'eventReport') record = { ...p };
  else return 'dataReport payload has neither serviceData nor APPdata';
  record.messageType = type;
  if (msg.serviceId !== undefined && !('serviceId' in record)) record.serviceId = msg.serviceId;
  if (type === 'eventReport' && msg.eventType !== undefined && !('eventType' in record)) record.eventType = msg.eventType;
  const sn = msg.upPacketSN;
  const seq = typeof sn === 'number' && Number.isSafeInteger(sn) && sn >= 0 ? sn : undefined;
  const envelope = { ...(ts !== undefined ? { ts } : {}), ...(seq !== undefined ? { seq } : {}) };
  const mapped = mapRecord(product.map, record, envelope);
  if (!mapped.ok) return mapped.message;
  const messages: PushMessage[] = [];
  if (mapped.value.telemetry) messages.push({ device, channel: 'telemetry', payload: mapped.value.telemetry });
  for (const e of mapped.value.events) messages.push({ device, channel: 'event', payload: e });
  return { ...(seq !== undefined ? { key: `ctwing/${product.id}/${device.id}/${type}/${seq}` } : {}), messages };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Constant-time comparison, so the secret cannot be guessed byte by byte from answer times. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
