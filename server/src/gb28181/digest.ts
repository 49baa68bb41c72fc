import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseParams } from './sip/message.ts';

/** HTTP Digest as SIP uses it (RFC 3261 §22, RFC 2617): MD5, qop=auth, or the RFC 2069 form without qop. */
const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm?: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

/** `Digest username="..", realm=".."` → fields; undefined when it is not a Digest header. */
export function parseDigest(value: string): DigestCredentials | undefined {
  const m = /^\s*Digest\s+(.*)$/is.exec(value);
  if (!m) return undefined;
  // Commas separate parameters; quoted values may hold commas.
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of m[1]!) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  const p = parseParams(parts.join(';'));
  const get = (k: string) => p.get(k);
  const username = get('username');
  const realm = get('realm');
  const nonce = get('nonce');
  const uri = get('uri');
  const response = get('response');
  if (!username || realm === undefined || !nonce || !uri || !response) return undefined;
  const out: DigestCredentials = { username, realm, nonce, uri, response };
  for (const k of ['algorithm', 'qop', 'nc', 'cnonce', 'opaque'] as const) {
    const v = get(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

export function digestResponse(method: string, c: Omit<DigestCredentials, 'response'>, password: string): string {
  const ha1 = md5(`${c.username}:${c.realm}:${password}`);
  const ha2 = md5(`${method}:${c.uri}`);
  return c.qop ? md5(`${ha1}:${c.nonce}:${c.nc}:${c.cnonce}:${c.qop}:${ha2}`) : md5(`${ha1}:${c.nonce}:${ha2}`);
}

export type DigestCheck = 'ok' | 'stale' | 'bad_nonce' | 'wrong' | 'bad_params';

/**
 * Issues and checks nonces: each is `time.hmac(time)` under a per-process key, so nothing is kept
 * per challenge and an old or forged nonce is told apart from a wrong password.
 */
export class DigestAuthority {
  private readonly key = randomBytes(32);

  constructor(
    readonly realm: string,
    private readonly now: () => number,
    private readonly nonceTtlMs = 5 * 60_000,
  ) {}

  nonce(): string {
    const t = this.now().toString(16);
    return `${t}.${createHmac('sha256', this.key).update(t).digest('hex').slice(0, 32)}`;
  }

  challenge(stale = false): string {
    return `Digest realm="${this.realm}", nonce="${this.nonce()}", qop="auth", algorithm=MD5${stale ? ', stale=true' : ''}`;
  }

  check(method: string, c: DigestCredentials, password: string): DigestCheck {
    if (c.realm !== this.realm || (c.algorithm && c.algorithm.toUpperCase() !== 'MD5')) return 'bad_params';
    if (c.qop && (c.qop !== 'auth' || !c.nc || !c.cnonce)) return 'bad_params';
    const [t, mac] = c.nonce.split('.');
    if (!t || !mac || !/^[0-9a-f]{1,13}$/.test(t)) return 'bad_nonce';
    const expected = createHmac('sha256', this.key).update(t).digest('hex').slice(0, 32);
    if (mac.length !== expected.length || !timingSafeEqual(Buffer.from(mac), Buffer.from(expected))) return 'bad_nonce';
    const want = Buffer.from(digestResponse(method, c, password));
    const got = Buffer.from(c.response.toLowerCase());
    if (want.length !== got.length || !timingSafeEqual(want, got)) return 'wrong';
    // Checked after the password, so a stale answer is only given to who knows it (RFC 2617 §3.2.1).
    if (this.now() - parseInt(t, 16) > this.nonceTtlMs) return 'stale';
    return 'ok';
  }
}

/** The Authorization a client sends in answer to a `WWW-Authenticate: Digest` challenge. */
export function authorize(challenge: string, method: string, uri: string, username: string, password: string): string | undefined {
  const m = /^\s*Digest\s+(.*)$/is.exec(challenge);
  if (!m) return undefined;
  const p = parseParams(m[1]!.replace(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/g, ';'));
  const realm = p.get('realm') ?? '';
  const nonce = p.get('nonce');
  if (!nonce) return undefined;
  const qop = p.get('qop')?.split(/[ ,]/).includes('auth') ? 'auth' : undefined;
  const cnonce = randomBytes(8).toString('hex');
  const nc = '00000001';
  const c = { username, realm, nonce, uri, ...(qop ? { qop, nc, cnonce } : {}) };
  const response = digestResponse(method, c, password);
  const opaque = p.get('opaque');
  return (
    `Digest username="${username}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5` +
    (qop ? `, qop=auth, nc=${nc}, cnonce="${cnonce}"` : '') +
    (opaque ? `, opaque="${opaque}"` : '')
  );
}
