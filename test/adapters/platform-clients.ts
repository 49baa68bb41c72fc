import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { loadConfig, type HubConfig } from '../../server/src/config.ts';
import { loadHubConfigFile } from '../../server/src/grid/config-file.ts';
import { Hub } from '../../server/src/hub.ts';
import { createLogger } from '../../server/src/log.ts';
import { TEST_BOOTSTRAP_ADMIN } from '../helpers/auth.ts';
import { tempDataDir } from '../helpers/hub.ts';

/**
 * The platforms' side, written from their documentation independently of the hub's adapters:
 * what CTWing and OneNET send, signed and encrypted as they sign and encrypt.
 */

/** OneNET: signature = base64(md5(token + nonce + msg)). */
export function onenetSignature(token: string, nonce: string, msg: string): string {
  return createHash('md5').update(Buffer.concat([Buffer.from(token), Buffer.from(nonce), Buffer.from(msg)])).digest('base64');
}

/**
 * OneNET secure mode: base64(AES-256-CBC(16 random bytes + 4-byte big-endian length + msg)),
 * key = base64decode(EncodingAESKey + '='), IV = first 16 bytes of the key, PKCS#7 padding to
 * `block` bytes (16 as the platform's Java sample pads; 32 as the WeChat-style samples do).
 */
export function onenetEncrypt(encodingAesKey: string, msg: string, block: 16 | 32 = 16): string {
  const key = Buffer.from(encodingAesKey + '=', 'base64');
  const body = Buffer.from(msg, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const frame = Buffer.concat([randomBytes(16), len, body]);
  const pad = block - (frame.length % block);
  const padded = Buffer.concat([frame, Buffer.alloc(pad, pad)]);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
}

/** An EncodingAESKey as the OneNET page makes one: 43 base64 characters (32 bytes once '=' is added). */
export function newEncodingAesKey(): string {
  return randomBytes(32).toString('base64').slice(0, 43);
}

/** A plain-mode OneNET push body; msg is serialised with the platform's spacing, not the hub's. */
export function onenetPlainBody(token: string, msg: unknown, nonce = randomNonce()): string {
  const msgText = JSON.stringify(msg, null, 1);
  return `{"msg": ${msgText}, "msg_signature": "${onenetSignature(token, nonce, msgText)}", "nonce": "${nonce}"}`;
}

export function onenetSecureBody(token: string, aesKey: string, msg: unknown, nonce = randomNonce(), block: 16 | 32 = 16): string {
  const enc = onenetEncrypt(aesKey, JSON.stringify(msg), block);
  return JSON.stringify({ enc_msg: enc, msg_signature: onenetSignature(token, nonce, enc), nonce });
}

export function randomNonce(): string {
  return randomBytes(6).toString('base64').replace(/[+/]/g, 'x');
}

/** CTWing subscription push messages (AEP 订阅推送), as the platform shapes them. */
export const ctwing = {
  dataReport(o: { productId: string; deviceId: string; imei?: string; sn: number; ts: number; serviceData?: Record<string, unknown>; appData?: Buffer }) {
    return {
      upPacketSN: o.sn,
      upDataSN: -1,
      topic: 'v1/up/ad',
      timestamp: o.ts,
      tenantId: '2000000001',
      serviceId: '',
      protocol: 'lwm2m',
      productId: o.productId,
      messageType: 'dataReport',
      deviceType: '',
      deviceId: o.deviceId,
      assocAssetId: '',
      ...(o.imei ? { IMEI: o.imei, IMSI: 'undefined' } : {}),
      payload: o.serviceData ? { serviceData: o.serviceData } : { APPdata: o.appData!.toString('base64') },
    };
  },
  eventReport(o: { productId: string; deviceId: string; imei?: string; sn: number; ts: number; serviceId: number; eventType: number; serviceData: Record<string, unknown> }) {
    return {
      upPacketSN: o.sn,
      upDataSN: -1,
      timestamp: o.ts,
      tenantId: '2000000001',
      serviceId: o.serviceId,
      protocol: 'lwm2m',
      productId: o.productId,
      messageType: 'eventReport',
      eventType: o.eventType,
      deviceId: o.deviceId,
      ...(o.imei ? { IMEI: o.imei } : {}),
      payload: { serviceData: o.serviceData },
    };
  },
  onlineOffline(o: { productId: string; deviceId: string; imei?: string; ts: number; online: boolean }) {
    return { timestamp: o.ts, tenantId: '2000000001', protocol: 'lwm2m', productId: o.productId, messageType: 'deviceOnlineOfflineReport', eventType: o.online ? 1 : 0, deviceId: o.deviceId, ...(o.imei ? { IMEI: o.imei } : {}) };
  },
};

export const TOKENS = {
  CTWING_SMOKE_TOKEN: 'ctwing-smoke-secret-3f9a',
  CTWING_GAS_TOKEN: 'ctwing-gas-secret-77b1',
  ONENET_SMOKE_TOKEN: 'onenetSmokeTok3n',
  ONENET_GAS_TOKEN: 'onenetGasTok3n',
  ONENET_GAS_AES_KEY: newEncodingAesKey(),
  DAHUA_PASSWORD: 'dahua-pass',
};

/**
 * A hub whose config file is the shipped platforms example (config/platforms-example.yaml)
 * plus one community and the given devices; the example's secrets come from TOKENS.
 */
export async function startPlatformHub(
  devices: Record<string, unknown>[],
  productDevices: Partial<Record<'ctwing' | 'onenet', Record<string, Record<string, string>>>> = {},
  overrides: Partial<HubConfig> = {},
  /** more `platforms:` lists (hikvision, dahua) */
  extra: Record<string, unknown[]> = {},
): Promise<Hub> {
  const example = parseDocument(fs.readFileSync(path.resolve(import.meta.dirname, '../../config/platforms-example.yaml'), 'utf8')).toJS() as Record<string, unknown>;
  const platforms = example.platforms as Record<'ctwing' | 'onenet', { id: string; devices?: Record<string, string> }[]>;
  for (const [name, byProduct] of Object.entries(productDevices)) {
    for (const [id, map] of Object.entries(byProduct)) platforms[name as 'ctwing' | 'onenet'].find((p) => p.id === id)!.devices = map;
  }
  const dir = tempDataDir('platforms');
  const file = path.join(dir, 'hub.json');
  const content = {
    communities: [{ id: 'c1', name: { zh: '阳光社区', en: 'Sunshine' }, cells: [{ id: 'g1', buildings: [{ id: 'b1' }] }] }],
    devices,
    platforms: { ...platforms, ...extra },
  };
  fs.writeFileSync(file, JSON.stringify(content));
  const loaded = loadHubConfigFile(file, TOKENS);
  const config = loadConfig({}, { port: 0, mqttPort: 0, dataDir: path.join(dir, 'data'), bootstrapAdmin: TEST_BOOTSTRAP_ADMIN, logLevel: 'silent', configFile: file, file: loaded, ...overrides });
  const hub = new Hub(config, createLogger(config.logLevel));
  await hub.start();
  return hub;
}

export async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown>; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  const ms = performance.now() - t0;
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: res.status, json, ms };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
