// A local push service (RFC 8030) for tests: it takes push messages over HTTPS, checks the VAPID
// authorisation (RFC 8292: an ES256 JWT signed with the key in `k=`), and decrypts the
// aes128gcm body (RFC 8188 records, keys per RFC 8291) with the subscription's private keys,
// implemented here on node:crypto, independently of the web-push package the hub sends with.
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';

export interface ReceivedPush {
  subscriptionId: string;
  at: number;
  headers: { ttl: number; urgency: string | undefined; topic: string | undefined; contentEncoding: string | undefined };
  vapid: { publicKey: string; claims: { aud: string; exp: number; sub: string } };
  body: unknown;
}

/** A browser's side of one subscription: its ECDH key pair and auth secret. */
export interface TestSubscription {
  id: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
  ecdh: crypto.ECDH;
  authSecret: Buffer;
}

const openssl = ['/usr/bin/openssl', '/bin/openssl'].find((p) => fs.existsSync(p));
export const hasOpenssl = Boolean(openssl);

/** A self-signed certificate for 127.0.0.1 (push services are HTTPS only). */
export function selfSignedCert(): { cert: Buffer; key: Buffer } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csh-push-cert-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync(openssl!, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const out = { cert: fs.readFileSync(cert), key: fs.readFileSync(key) };
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}

function hmac(key: Buffer, data: Buffer): Buffer {
  return crypto.createHmac('sha256', key).update(data).digest();
}

/** RFC 8291 section 3.4 and RFC 8188 section 2: the plaintext of an aes128gcm push message body. */
export function decryptPush(body: Buffer, sub: Pick<TestSubscription, 'ecdh' | 'authSecret'>): Buffer {
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20]!;
  const asPublic = body.subarray(21, 21 + idlen);
  if (idlen !== 65) throw new Error(`keyid is ${idlen} bytes, not an uncompressed P-256 point`);
  const uaPublic = sub.ecdh.getPublicKey();
  const ecdhSecret = sub.ecdh.computeSecret(asPublic);
  const prkKey = hmac(sub.authSecret, ecdhSecret);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic, Buffer.from([1])]);
  const ikm = hmac(prkKey, keyInfo);
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01')).subarray(0, 16);
  const baseNonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01')).subarray(0, 12);
  const records = body.subarray(21 + idlen);
  const out: Buffer[] = [];
  for (let seq = 0, off = 0; off < records.length; seq++, off += rs) {
    const record = records.subarray(off, Math.min(off + rs, records.length));
    const nonce = Buffer.from(baseNonce);
    nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ seq) >>> 0, 8);
    const decipher = crypto.createDecipheriv('aes-128-gcm', cek, nonce);
    decipher.setAuthTag(record.subarray(record.length - 16));
    const plain = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
    let end = plain.length - 1;
    while (end >= 0 && plain[end] === 0) end--;
    const delimiter = plain[end];
    const last = off + rs >= records.length;
    if (delimiter !== (last ? 2 : 1)) throw new Error(`record ${seq}: padding delimiter ${delimiter}`);
    out.push(plain.subarray(0, end));
  }
  return Buffer.concat(out);
}

/** RFC 8292: `vapid t=<jwt>, k=<key>`; the JWT is ES256 over the key in k. Throws unless valid for this audience. */
export function verifyVapid(authorization: string | undefined, audience: string, now = Date.now()): ReceivedPush['vapid'] {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
  if (!m) throw new Error(`no VAPID authorization: ${authorization}`);
  const [, jwt, k] = m as unknown as [string, string, string];
  const raw = Buffer.from(k, 'base64url');
  if (raw.length !== 65 || raw[0] !== 4) throw new Error('k is not an uncompressed P-256 point');
  const key = crypto.createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33).toString('base64url') }, format: 'jwk' });
  const [h, p, s] = jwt.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg: string; typ: string };
  if (header.alg !== 'ES256') throw new Error(`JWT alg ${header.alg}`);
  const ok = crypto.verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
  if (!ok) throw new Error('VAPID JWT signature does not verify');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { aud: string; exp: number; sub: string };
  if (claims.aud !== audience) throw new Error(`JWT aud ${claims.aud}, expected ${audience}`);
  if (claims.exp * 1000 <= now || claims.exp * 1000 > now + 24 * 3600_000 + 60_000) throw new Error(`JWT exp ${claims.exp} out of range`);
  if (!/^(mailto:|https:)/.test(claims.sub)) throw new Error(`JWT sub ${claims.sub}`);
  return { publicKey: k, claims };
}

export class LocalPushService {
  readonly received: ReceivedPush[] = [];
  readonly refused: { subscriptionId: string; error: string }[] = [];
  /** per subscription id: the status to answer instead of 201 (410 gone, 500 down) */
  readonly answer = new Map<string, number>();
  private readonly subs = new Map<string, TestSubscription>();
  private server: https.Server | undefined;
  private readonly tls = selfSignedCert();
  origin = '';
  onPush: ((p: ReceivedPush) => void) | undefined;

  /** Its certificate, for a client in another thread or process to trust. */
  get certificate(): Buffer {
    return this.tls.cert;
  }

  /** An https.Agent that trusts this service's certificate (the hub's web-push requests use it). */
  readonly agent = new https.Agent({ ca: this.tls.cert, keepAlive: true, maxSockets: 16, noDelay: true });

  async start(): Promise<void> {
    this.server = https.createServer({ cert: this.tls.cert, key: this.tls.key }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const id = /^\/push\/([^/?]+)$/.exec(req.url ?? '')?.[1] ?? '';
        const sub = this.subs.get(id);
        const status = this.answer.get(id);
        if (status) return void res.writeHead(status).end();
        if (req.method !== 'POST' || !sub) return void res.writeHead(404).end();
        try {
          const vapid = verifyVapid(req.headers.authorization, this.origin);
          if (req.headers['content-encoding'] !== 'aes128gcm') throw new Error(`Content-Encoding ${req.headers['content-encoding']}`);
          const ttl = Number(req.headers.ttl);
          if (!Number.isInteger(ttl) || ttl < 0) throw new Error(`TTL ${req.headers.ttl}`);
          const body = JSON.parse(decryptPush(Buffer.concat(chunks), sub).toString('utf8')) as unknown;
          const push: ReceivedPush = {
            subscriptionId: id,
            at: Date.now(),
            headers: { ttl, urgency: req.headers.urgency as string | undefined, topic: req.headers.topic as string | undefined, contentEncoding: req.headers['content-encoding'] },
            vapid,
            body,
          };
          this.received.push(push);
          this.onPush?.(push);
          res.writeHead(201, { location: `/message/${crypto.randomUUID()}` }).end();
        } catch (err) {
          this.refused.push({ subscriptionId: id, error: (err as Error).message });
          res.writeHead(400).end((err as Error).message);
        }
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    const addr = this.server.address() as { port: number };
    this.origin = `https://127.0.0.1:${addr.port}`;
  }

  /** A new browser subscription on this service (what PushManager.subscribe would hand the page). */
  subscription(): TestSubscription {
    const ecdh = crypto.createECDH('prime256v1');
    ecdh.generateKeys();
    const authSecret = crypto.randomBytes(16);
    const id = crypto.randomBytes(8).toString('hex');
    const sub: TestSubscription = { id, endpoint: `${this.origin}/push/${id}`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: authSecret.toString('base64url') }, ecdh, authSecret };
    this.subs.set(id, sub);
    return sub;
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
