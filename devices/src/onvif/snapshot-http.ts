import http from 'node:http';
import https from 'node:https';
import { digestAuthorization, wwwAuthenticate } from '../http-digest.ts';
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
 * GETs a snapshot URI with HTTP Digest (MD5, through ../http-digest.ts as the access controllers'
 * streams) or Basic, whichever the camera asks for. node-onvif's own fetchSnapshot keeps the digest
 * state in a module-wide singleton, which breaks when several cameras are fetched at once.
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
    if (challenges.some((c) => /^digest\s/i.test(c))) {
      const answer = digestAuthorization('GET', url, res.headers, username, password);
      if ('error' in answer) throw new CameraError('protocol', `snapshot ${url.pathname}: ${answer.error}`);
      res = await get(url, { Authorization: answer.authorization }, req);
    } else if (challenges.some((c) => /^basic/i.test(c)))
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
