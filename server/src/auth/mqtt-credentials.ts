import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import { generateSecret, mosquittoHash, verifyMosquittoHash } from './mosquitto-hash.ts';

/**
 * Who may connect to MQTT:
 * - `device`: username = device id; publishes only under its own topic subtree.
 * - `gateway`: publishes for many devices of some communities (a site gateway, the simulator,
 *   the bench); created by an admin on purpose, never implied.
 * - `hub`: the hub's own client.
 */
export type MqttCredentialType = 'device' | 'gateway' | 'hub';

export interface MqttCredential {
  username: string;
  type: MqttCredentialType;
  /** gateways: the communities they speak for; ['*'] for all */
  communities: string[];
  hash: string;
  createdAt: number;
  createdBy: string;
}

interface Row {
  username: string;
  type: MqttCredentialType;
  communities: string;
  hash: string;
  created_at: number;
  created_by: string;
}

const CACHE_TTL_MS = 60_000;

/**
 * MQTT credentials in the state database. Verified (username, password) pairs are cached for a
 * minute, keyed by a digest of the password, so a reconnect storm costs one hash per device.
 * Another process (the admin CLI) may add credentials; a cache miss reads the database.
 */
export class MqttCredentialRepository {
  private readonly cache = new Map<string, { digest: Buffer; credential: MqttCredential; at: number }>();
  /** Counts logins and invalidations, so "authenticated before this credential changed" is exact. */
  private generation = 0;
  private readonly invalidatedAt = new Map<string, number>();

  constructor(
    private readonly db: Database.Database,
    private readonly clock: () => number = Date.now,
  ) {}

  get(username: string): MqttCredential | undefined {
    const row = this.db.prepare('SELECT * FROM mqtt_credentials WHERE username = ?').get(username) as Row | undefined;
    return row ? toCredential(row) : undefined;
  }

  list(): MqttCredential[] {
    return (this.db.prepare('SELECT * FROM mqtt_credentials ORDER BY type, username').all() as Row[]).map(toCredential);
  }

  /** Issues a new secret (shown to the caller once); replaces an existing one when `replace`. Undefined when taken. */
  issue(username: string, type: MqttCredentialType, createdBy: string, opts: { communities?: string[]; replace?: boolean; password?: string } = {}): string | undefined {
    const password = opts.password ?? generateSecret();
    const sql = opts.replace
      ? 'INSERT OR REPLACE INTO mqtt_credentials (username, type, communities, hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)'
      : 'INSERT OR IGNORE INTO mqtt_credentials (username, type, communities, hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)';
    const res = this.db.prepare(sql).run(username, type, JSON.stringify(opts.communities ?? []), mosquittoHash(password), this.clock(), createdBy);
    this.cache.delete(username);
    if (res.changes === 1 && opts.replace) this.invalidate(username);
    return res.changes === 1 ? password : undefined;
  }

  revoke(username: string): boolean {
    this.cache.delete(username);
    this.invalidate(username);
    return this.db.prepare('DELETE FROM mqtt_credentials WHERE username = ?').run(username).changes === 1;
  }

  /** A mark taken when a connection authenticates; see `changedSince`. */
  loginMark(): number {
    return ++this.generation;
  }

  /** True when the credential was revoked or rotated after a login taken at `mark`: cut that connection. */
  changedSince(username: string, mark: number): boolean {
    const at = this.invalidatedAt.get(username);
    return at !== undefined && at > mark;
  }

  private invalidate(username: string): void {
    this.invalidatedAt.set(username, ++this.generation);
  }

  async verify(username: string, password: Buffer | string): Promise<MqttCredential | undefined> {
    const digest = crypto.createHash('sha256').update(password).digest();
    const hit = this.cache.get(username);
    const now = this.clock();
    if (hit && now - hit.at < CACHE_TTL_MS) return crypto.timingSafeEqual(hit.digest, digest) ? hit.credential : undefined;
    const credential = this.get(username);
    if (!credential) return undefined;
    const ok = await verifyMosquittoHash(credential.hash, typeof password === 'string' ? password : password.toString('utf8'));
    if (!ok) return undefined;
    if (this.cache.size > 200_000) this.cache.clear();
    this.cache.set(username, { digest, credential, at: now });
    return credential;
  }
}

function toCredential(r: Row): MqttCredential {
  return { username: r.username, type: r.type, communities: JSON.parse(r.communities) as string[], hash: r.hash, createdAt: r.created_at, createdBy: r.created_by };
}
