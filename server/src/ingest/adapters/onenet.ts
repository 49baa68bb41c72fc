import { createDecipheriv, createHash } from 'node:crypto';
import type { Device } from '../../registry/devices.ts';
import { sameSecret } from './ctwing.ts';
import { mapRecord, type PlatformRecord } from './mapping.ts';
import type { Product } from './platforms.ts';
import type { PushAnswer, PushIngest, PushMessage, PushUnit } from './push-ingest.ts';

/**
 * China Mobile OneNET HTTP data push (数据推送). Every request is signed with the token set on the
 * push's configuration page: signature = base64(md5(token + nonce + msg)).
 *
 * - URL verification: GET ?msg=&nonce=&signature=; the answer is `msg` itself when the signature matches.
 * - Plain mode: POST { msg, msg_signature, nonce }, the signature over msg's JSON text as sent.
 * - Secure mode: POST { enc_msg, msg_signature, nonce }, the signature over enc_msg; enc_msg is
 *   base64(AES-256-CBC(random 16 bytes + msg length (4 bytes, big-endian) + msg)), PKCS#7 padded,
 *   key = base64decode(EncodingAESKey + "="), IV = the key's first 16 bytes.
 * `msg` is one message or an array of them: type 1 a data point (dev_id, ds_id, at, value),
 * type 2 the device going online or offline (status 1 / 0), type 7 a cached command's result
 * (nothing about the device's state: acknowledged). Data points of one device at one `at` make
 * one telemetry message, as an MQTT device reports its readings together.
 */
export class OnenetAdapter {
  private readonly products: Map<string, Product>;

  constructor(
    products: readonly Product[],
    private readonly ingest: PushIngest,
  ) {
    this.products = new Map(products.map((p) => [p.id, p]));
  }

  /** URL verification: the text to answer with, or a refusal. */
  verify(productId: string, query: { msg?: string; nonce?: string; signature?: string }): { text: string } | PushAnswer {
    const where = `onenet/${productId}`;
    const raw = Buffer.from(JSON.stringify(query).slice(0, 400));
    const product = this.products.get(productId);
    if (!product) return this.ingest.refuse('unknown_product', where, `no OneNET product ${productId} is configured`, raw);
    const { msg, nonce, signature } = query;
    if (!msg || !nonce || !signature || !signatureMatches(product.token, nonce, msg, signature)) {
      return this.ingest.refuse('bad_signature', where, 'URL verification: the signature does not match the token', raw);
    }
    return { text: msg };
  }

  async push(productId: string, body: Buffer): Promise<PushAnswer> {
    const where = `onenet/${productId}`;
    const product = this.products.get(productId);
    if (!product) return this.ingest.refuse('unknown_product', where, `no OneNET product ${productId} is configured`, body);
    const text = body.toString('utf8');
    let envelope: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (!isObject(parsed)) throw new Error('not an object');
      envelope = parsed;
    } catch {
      return this.ingest.refuse('not_json', where, 'the push body is not a JSON object', body);
    }
    const nonce = envelope.nonce;
    const signature = envelope.msg_signature ?? envelope.signature;
    if (typeof nonce !== 'string' || typeof signature !== 'string') return this.ingest.refuse('bad_signature', where, 'the push carries no nonce and msg_signature', body);
    let msgText: string;
    let signed: string;
    if (typeof envelope.enc_msg === 'string') {
      signed = envelope.enc_msg;
      if (!signatureMatches(product.token, nonce, signed, signature)) return this.ingest.refuse('bad_signature', where, 'msg_signature does not match the token', body);
      if (!product.aesKey) return this.ingest.refuse('unmappable', where, `product ${product.id} has no aesKey for the secure-mode enc_msg`, body);
      const plain = decrypt(product.aesKey, signed);
      if (plain === undefined) return this.ingest.refuse('unmappable', where, 'enc_msg does not decrypt with the product aesKey', body);
      msgText = plain;
    } else if ('msg' in envelope) {
      // A string msg is signed as that string; an object or array as the JSON text the platform sent.
      signed = typeof envelope.msg === 'string' ? envelope.msg : (rawMember(text, 'msg') ?? '');
      if (!signatureMatches(product.token, nonce, signed, signature)) return this.ingest.refuse('bad_signature', where, 'msg_signature does not match the token', body);
      msgText = typeof envelope.msg === 'string' ? envelope.msg : signed;
    } else {
      return this.ingest.refuse('unmappable', where, 'the push carries neither msg nor enc_msg', body);
    }
    let msgs: unknown;
    try {
      msgs = JSON.parse(msgText);
    } catch {
      return this.ingest.refuse('not_json', where, 'msg is not JSON', body);
    }
    const units = this.units(product, Array.isArray(msgs) ? msgs : [msgs]);
    if ('reason' in units) return this.ingest.refuse(units.reason, units.where ?? where, units.message, body);
    return this.ingest.submit(units, body);
  }

  private units(product: Product, msgs: unknown[]): PushUnit[] | { reason: Parameters<PushIngest['refuse']>[0]; message: string; where?: string } {
    const units: PushUnit[] = [];
    const points = new Map<string, { device: Device; at: number | undefined; record: PlatformRecord; streams: string[] }>();
    const ignore = new Set(product.map.ignore ?? []);
    for (const m of msgs) {
      if (!isObject(m)) return { reason: 'unmappable', message: 'a msg is not an object' };
      if (m.type === 7) continue;
      const key = [m.imei, m.dev_id].find((k) => (typeof k === 'string' && k !== '') || typeof k === 'number');
      if (key === undefined) return { reason: 'unmappable', message: `a type ${String(m.type)} msg has no dev_id` };
      const device = this.ingest.device(product, String(key));
      if ('reason' in device) return device;
      const at = typeof m.at === 'number' && Number.isFinite(m.at) ? m.at : undefined;
      if (m.type === 2) {
        if (m.status !== 1 && m.status !== 0) return { reason: 'unmappable', message: `type 2 status must be 1 or 0, not ${JSON.stringify(m.status)}`, where: topicOf(device, 'status') };
        units.push({ messages: [{ device, channel: 'status', payload: m.status === 1 ? 'online' : 'offline' }] });
        continue;
      }
      if (m.type !== 1) return { reason: 'unmappable', message: `msg type ${JSON.stringify(m.type)} is not 1, 2 or 7`, where: topicOf(device, 'msg') };
      if (typeof m.ds_id !== 'string' || m.ds_id === '') return { reason: 'unmappable', message: 'a type 1 msg has no ds_id', where: topicOf(device, 'msg') };
      if (ignore.has(m.ds_id)) continue;
      const group = `${device.id}\u0000${at ?? ''}`;
      let point = points.get(group);
      if (!point) points.set(group, (point = { device, at, record: { messageType: 'datapoint' }, streams: [] }));
      point.streams.push(m.ds_id);
      point.record[m.ds_id] = isObject(m.value) ? undefined : m.value;
      // An object value (LwM2M resources, JSON data streams) lends its members as fields too.
      if (isObject(m.value)) for (const [k, v] of Object.entries(m.value)) point.record[k] = v;
    }
    for (const { device, at, record, streams } of points.values()) {
      const mapped = mapRecord(product.map, record, at !== undefined ? { ts: at } : {});
      if (!mapped.ok) return { reason: 'unmappable', message: mapped.message, where: topicOf(device, 'datapoint') };
      const messages: PushMessage[] = [];
      if (mapped.value.telemetry) messages.push({ device, channel: 'telemetry', payload: mapped.value.telemetry });
      for (const e of mapped.value.events) messages.push({ device, channel: 'event', payload: e });
      units.push({ ...(at !== undefined ? { key: `onenet/${product.id}/${device.id}/${at}/${streams.sort().join(',')}` } : {}), messages });
    }
    return units;
  }
}

function topicOf(device: Device, what: string): string {
  return `community/${device.communityId}/${device.kind}/${device.id}/${what}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** base64(md5(token + nonce + msg)); a query string may turn the base64 '+' into a space. */
export function signatureMatches(token: string, nonce: string, msg: string, signature: string): boolean {
  const expected = createHash('md5').update(token + nonce + msg, 'utf8').digest('base64');
  return sameSecret(signature.replace(/ /g, '+'), expected);
}

/** OneNET secure mode: the msg text, or undefined when enc_msg does not decrypt to a well-formed frame. */
export function decrypt(encodingAesKey: string, encMsg: string): string | undefined {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  if (key.length !== 32) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
    decipher.setAutoPadding(false);
    const out = Buffer.concat([decipher.update(Buffer.from(encMsg, 'base64')), decipher.final()]);
    // PKCS#7, to 16- or 32-byte blocks (both occur in the platforms' samples).
    const pad = out[out.length - 1] ?? 0;
    if (pad < 1 || pad > 32 || pad > out.length) return undefined;
    const frame = out.subarray(0, out.length - pad);
    if (frame.length < 20) return undefined;
    const len = frame.readUInt32BE(16);
    if (20 + len > frame.length) return undefined;
    return frame.subarray(20, 20 + len).toString('utf8');
  } catch {
    return undefined;
  }
}

/**
 * The JSON text of one top-level member of an object, as it stands in `text`: the signature is
 * over the platform's own serialisation, which re-serialising would not reproduce byte for byte.
 */
export function rawMember(text: string, name: string): string | undefined {
  let i = skipWs(text, 0);
  if (text[i] !== '{') return undefined;
  i = skipWs(text, i + 1);
  while (i < text.length && text[i] !== '}') {
    const keyEnd = skipValue(text, i);
    if (keyEnd < 0 || text[i] !== '"') return undefined;
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWs(text, keyEnd);
    if (text[i] !== ':') return undefined;
    const start = skipWs(text, i + 1);
    const end = skipValue(text, start);
    if (end < 0) return undefined;
    if (key === name) return text.slice(start, end);
    i = skipWs(text, end);
    if (text[i] === ',') i = skipWs(text, i + 1);
  }
  return undefined;
}

function skipWs(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\n' || s[i] === '\r' || s[i] === '\t')) i++;
  return i;
}

/** The index just past the JSON value starting at i, or -1. */
function skipValue(s: string, i: number): number {
  const c = s[i];
  if (c === '"') {
    for (let j = i + 1; j < s.length; j++) {
      if (s[j] === '\\') j++;
      else if (s[j] === '"') return j + 1;
    }
    return -1;
  }
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s[j];
      if (d === '"') {
        const end = skipValue(s, j);
        if (end < 0) return -1;
        j = end - 1;
      } else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        if (--depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < s.length && !',}] \n\r\t'.includes(s[j]!)) j++;
  return j > i ? j : -1;
}
