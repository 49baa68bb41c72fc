import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { PersonChannelName } from './transport.ts';

/** What an acknowledgement link says: this alert, this person, from this channel, until then. */
export interface AckClaims {
  alertId: string;
  recipientId: string;
  channel: PersonChannelName;
  expiresAt: number;
  nonce: string;
}

export type AckRefusal = 'malformed' | 'forged' | 'expired' | 'wrong_alert' | 'used';
export type AckCheck = { ok: true; claims: AckClaims } | { ok: false; reason: AckRefusal };

const KEY_FILE = 'ack-link.key';

/**
 * One-tap acknowledgement links: `{base}/ack/{alertId}?t={token}`, where the token is the claims
 * and their HMAC-SHA256 under a key kept in DATA_DIR (made at first start). A link is bound to
 * one alert and one recipient, expires, and works once: its nonce is recorded when used.
 */
export class AckLinks {
  private key: Buffer | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly dataDir: string,
    private readonly clock: () => number = Date.now,
    readonly ttlMs = 24 * 3600_000,
  ) {}

  /** Reads the key, or makes and stores it on first start. */
  start(): void {
    const file = path.join(this.dataDir, KEY_FILE);
    if (!fs.existsSync(file)) {
      fs.mkdirSync(this.dataDir, { recursive: true });
      // wx: two hubs starting on one DATA_DIR must not each write their own key.
      try {
        fs.writeFileSync(file, crypto.randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length < 32) throw new Error(`${file}: the acknowledgement link key is shorter than 32 bytes`);
    this.key = key;
  }

  url(base: string, claims: Omit<AckClaims, 'expiresAt' | 'nonce'>): string {
    return `${base.replace(/\/+$/, '')}/ack/${encodeURIComponent(claims.alertId)}?t=${this.issue(claims)}`;
  }

  issue(claims: Omit<AckClaims, 'expiresAt' | 'nonce'>): string {
    const full: AckClaims = { ...claims, expiresAt: this.clock() + this.ttlMs, nonce: crypto.randomBytes(12).toString('base64url') };
    const body = Buffer.from(JSON.stringify([full.alertId, full.recipientId, full.channel, full.expiresAt, full.nonce])).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  /** Checks a link for this alert without using it up (the confirm page). */
  check(alertId: string, token: string): AckCheck {
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) return { ok: false, reason: 'malformed' };
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' };
    let claims: AckClaims;
    try {
      const [a, r, c, e, n] = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as [string, string, PersonChannelName, number, string];
      claims = { alertId: a, recipientId: r, channel: c, expiresAt: e, nonce: n };
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (claims.alertId !== alertId) return { ok: false, reason: 'wrong_alert' };
    if (this.clock() >= claims.expiresAt) return { ok: false, reason: 'expired' };
    if (this.db.prepare('SELECT 1 FROM ack_link_uses WHERE nonce = ?').get(claims.nonce)) return { ok: false, reason: 'used' };
    return { ok: true, claims };
  }

  /** Checks and uses up a link: true for exactly one caller. */
  use(alertId: string, token: string): AckCheck {
    const checked = this.check(alertId, token);
    if (!checked.ok) return checked;
    const fresh = this.db.prepare('INSERT OR IGNORE INTO ack_link_uses (nonce, alert_id, used_at) VALUES (?, ?, ?)').run(checked.claims.nonce, alertId, this.clock()).changes === 1;
    return fresh ? checked : { ok: false, reason: 'used' };
  }

  private sign(body: string): string {
    if (!this.key) throw new Error('acknowledgement links before start()');
    return crypto.createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
