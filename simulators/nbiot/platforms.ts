import { createCipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * The carriers' side of an NB-IoT push, written from their documentation independently of the
 * hub's adapters: what CTWing and OneNET send, signed and encrypted as they sign and encrypt.
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

/** A CTWing subscription push to one product's callback URL, as the platform sends it (no signature: the URL carries the token). */
export class CtwingPushClient {
  private sn = 0;

  /** `callbackUrl`: https://hub/api/ingest/ctwing/{product}?token=… */
  constructor(
    private readonly callbackUrl: string,
    private readonly productId: string,
  ) {}

  /** A thing-model dataReport; answers the hub's HTTP status. */
  dataReport(imei: string, serviceData: Record<string, unknown>, ts = Date.now()): Promise<number> {
    return this.post(ctwing.dataReport({ productId: this.productId, deviceId: `${this.productId}${imei}`, imei, sn: ++this.sn, ts, serviceData }));
  }

  eventReport(imei: string, serviceId: number, eventType: number, serviceData: Record<string, unknown>, ts = Date.now()): Promise<number> {
    return this.post(ctwing.eventReport({ productId: this.productId, deviceId: `${this.productId}${imei}`, imei, sn: ++this.sn, ts, serviceId, eventType, serviceData }));
  }

  onlineOffline(imei: string, online: boolean, ts = Date.now()): Promise<number> {
    return this.post(ctwing.onlineOffline({ productId: this.productId, deviceId: `${this.productId}${imei}`, imei, ts, online }));
  }

  private async post(msg: unknown): Promise<number> {
    const res = await fetch(this.callbackUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(msg) });
    await res.arrayBuffer();
    return res.status;
  }
}

/** A OneNET data push (msg type 1: one data point) to one product's push URL, signed, AES-encrypted when given the EncodingAESKey. */
export class OnenetPushClient {
  constructor(
    private readonly pushUrl: string,
    private readonly token: string,
    private readonly aesKey?: string,
  ) {}

  /** A data point of one data stream (`ds_id`) of device `devId`; answers the hub's HTTP status. */
  async dataPoint(devId: number, dsId: string, value: unknown, at = Date.now()): Promise<number> {
    const msg = { type: 1, dev_id: devId, ds_id: dsId, at, value };
    const body = this.aesKey ? onenetSecureBody(this.token, this.aesKey, msg) : onenetPlainBody(this.token, msg);
    const res = await fetch(this.pushUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await res.arrayBuffer();
    return res.status;
  }

  /** The URL-verification GET the platform makes when the push URL is saved: true when the hub echoes msg. */
  async verify(msg = randomNonce()): Promise<boolean> {
    const nonce = randomNonce();
    const url = new URL(this.pushUrl);
    url.searchParams.set('msg', msg);
    url.searchParams.set('nonce', nonce);
    url.searchParams.set('signature', onenetSignature(this.token, nonce, msg));
    const res = await fetch(url);
    return res.status === 200 && (await res.text()) === msg;
  }
}
