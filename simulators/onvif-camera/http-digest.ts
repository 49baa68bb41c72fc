import { createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * Server side of HTTP Digest (RFC 7616, MD5, qop=auth), which is how real cameras protect the snapshot URI.
 * Nonces are stateless (time + HMAC) so a fleet of hundreds of simulated cameras keeps no per-client state.
 */
export class DigestGuard {
  private readonly secret = randomBytes(16);
  constructor(
    private readonly realm: string,
    private readonly nonceTtlMs = 5 * 60_000,
  ) {}

  /** `realm` first: node-onvif's parser reads the key literally as "Digest realm". */
  challenge(): string {
    return `Digest realm="${this.realm}", qop="auth", nonce="${this.makeNonce()}", algorithm=MD5`;
  }

  verify(header: string | undefined, method: string, username: string, password: string): boolean {
    if (!header?.startsWith('Digest ')) return false;
    const p = parseDigestParams(header.slice(7));
    if (p.username !== username || p.realm !== this.realm || !p.nonce || !p.uri || !p.response) return false;
    if (!this.nonceValid(p.nonce)) return false;
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const ha1 = md5(`${username}:${this.realm}:${password}`);
    const ha2 = md5(`${method}:${p.uri}`);
    const expected = p.qop ? md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`) : md5(`${ha1}:${p.nonce}:${ha2}`);
    return expected === p.response;
  }

  private makeNonce(): string {
    const ts = Date.now().toString(16);
    return `${ts}${this.sign(ts)}`;
  }

  private nonceValid(nonce: string): boolean {
    const ts = nonce.slice(0, -32);
    if (!/^[0-9a-f]+$/.test(ts) || this.sign(ts) !== nonce.slice(-32)) return false;
    return Date.now() - parseInt(ts, 16) < this.nonceTtlMs;
  }

  private sign(ts: string): string {
    return createHmac('sha256', this.secret).update(ts).digest('hex').slice(0, 32);
  }
}

/** Parses `key="value", key=value` lists; values may contain commas inside quotes. */
export function parseDigestParams(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) out[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
  return out;
}
