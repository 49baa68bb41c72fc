import http from 'node:http';
import https from 'node:https';
import { createHash, randomBytes } from 'node:crypto';
import { CameraError } from './errors.ts';

export interface SnapshotRequest {
  url: string;
  username?: string;
  password?: string;
  timeoutMs: number;
  /** Refuse bigger images: a broken camera must not exhaust the hub's memory. */
  maxBytes?: number;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * GETs a snapshot URI with HTTP Digest (MD5 or SHA-256, qop=auth) or Basic, whichever the camera asks for.
 * node-onvif's own fetchSnapshot keeps the digest state in a module-wide singleton, which breaks when
 * several cameras are fetched at once, so the bridge does this itself.
 */
export async function fetchJpeg(req: SnapshotRequest): Promise<Buffer> {
  const url = new URL(req.url);
  // Some cameras embed credentials in the snapshot URI; they must not end up in a request line or a log.
  const username = req.username ?? decodeURIComponent(url.username);
  const password = req.password ?? decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  let res = await get(url, {}, req);
  if (res.status === 401) {
    const challenges = wwwAuthenticate(res.headers);
    const digest = challenges.find((c) => /^digest/i.test(c));
    if (digest) res = await get(url, { Authorization: digestHeader(digest, url, username, password) }, req);
    else if (challenges.some((c) => /^basic/i.test(c)))
      res = await get(url, { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` }, req);
    if (res.status === 401) throw new CameraError('unauthorized', `snapshot refused: authentication failed (wrong username or password) for ${url.origin}${url.pathname}`);
  }
  if (res.status !== 200) throw new CameraError('protocol', `snapshot ${url.pathname}: HTTP ${res.status}`);
  const type = String(res.headers['content-type'] ?? 'image/jpeg');
  if (!/^image\/jpe?g/i.test(type) || res.body[0] !== 0xff || res.body[1] !== 0xd8) {
    throw new CameraError('protocol', `snapshot ${url.pathname}: not a JPEG (content-type ${type})`);
  }
  return res.body;
}

function get(url: URL, headers: Record<string, string>, req: SnapshotRequest): Promise<RawResponse> {
  const lib = url.protocol === 'https:' ? https : http;
  const maxBytes = req.maxBytes ?? 8 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const r = lib.get(url, { headers, timeout: req.timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) {
          r.destroy(new CameraError('protocol', `snapshot larger than ${maxBytes} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    r.on('timeout', () => r.destroy(new CameraError('unreachable', `snapshot timed out after ${req.timeoutMs} ms`)));
    r.on('error', (err) => reject(err instanceof CameraError ? err : new CameraError('unreachable', `snapshot: ${err.message}`, { cause: err })));
  });
}

export function wwwAuthenticate(headers: http.IncomingHttpHeaders): string[] {
  const h = headers['www-authenticate'];
  if (!h) return [];
  // Node joins repeated headers with ", " which would split inside digest parameters; split only before a scheme.
  return (Array.isArray(h) ? h : [h]).flatMap((v) => v.split(/,\s*(?=(?:Digest|Basic)\s)/i));
}

export function digestHeader(challenge: string, url: URL, username: string, password: string): string {
  const p: Record<string, string> = {};
  for (const m of challenge.slice(challenge.indexOf(' ') + 1).matchAll(/([A-Za-z0-9_-]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/g)) {
    p[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
  }
  const algorithm = (p.algorithm ?? 'MD5').toUpperCase();
  const hashName = algorithm.startsWith('SHA-256') ? 'sha256' : 'md5';
  const h = (s: string) => createHash(hashName).update(s).digest('hex');
  const uri = url.pathname + url.search;
  const ha1 = h(`${username}:${p.realm ?? ''}:${password}`);
  const ha2 = h(`GET:${uri}`);
  const qop = p.qop?.split(',').map((q) => q.trim()).includes('auth') ? 'auth' : undefined;
  const nc = '00000001';
  const cnonce = randomBytes(8).toString('hex');
  const response = qop ? h(`${ha1}:${p.nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : h(`${ha1}:${p.nonce}:${ha2}`);
  const parts = [`username="${username}"`, `realm="${p.realm ?? ''}"`, `nonce="${p.nonce ?? ''}"`, `uri="${uri}"`, `algorithm=${p.algorithm ?? 'MD5'}`, `response="${response}"`];
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  if (p.opaque) parts.push(`opaque="${p.opaque}"`);
  return `Digest ${parts.join(', ')}`;
}
