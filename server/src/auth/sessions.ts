import type Database from 'better-sqlite3';
import type { UserRecord } from './roles.ts';
import { Revocations } from './revocations.ts';
import { newToken, tokenDigest } from './tokens.ts';
import { UserRepository } from './users.ts';

export interface Session {
  digest: string;
  username: string;
  createdAt: number;
  expiresAt: number;
  revoked: boolean;
}

/** A session found by its token, with its account (undefined: the account is gone). */
export interface SessionLookup {
  session: Session;
  user: UserRecord | undefined;
}

/**
 * Login sessions on any state store: one opaque token serves as the browser's cookie and the
 * API client's bearer token; only its SHA-256 is stored. `alive` is synchronous (a WebSocket
 * asks it for every message); everything that touches the store is async.
 */
export interface SessionStore {
  readonly ttl: number;
  create(username: string): Promise<{ token: string; session: Session }>;
  /** The session and its account in one read (it runs on every request). */
  lookup(token: string): Promise<SessionLookup | undefined>;
  /**
   * Sliding expiry: activity on a session past half its life moves its end to a full TTL from
   * now, so a control-room screen in use never logs out mid-shift while an idle one still ends.
   * Returns true when it moved (the cookie is then renewed); writes at most once per half-TTL.
   */
  touch(session: Session): Promise<boolean>;
  alive(session: Session): boolean;
  revoke(session: Session): Promise<void>;
  /** Ends every session of a user (password changed, account disabled or its role changed). */
  revokeUser(username: string): Promise<void>;
  purgeExpired(): Promise<void>;
  /** Fired on every revocation, here or heard from another hub (the /ws layer closes the sockets). */
  readonly revoked: Revocations;
  /** Side effects of a shared store (hearing other hubs end sessions). */
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

export interface StoredSession {
  username: string;
  createdAt: number;
  expiresAt: number;
  user: UserRecord | undefined;
}

/**
 * The part every store shares: expiry and sliding by the injected clock, and the sessions
 * handed out kept in memory, so a WebSocket holding one notices it ending. A store whose
 * rows only this hub writes (`authoritativeCache`) trusts that memory; a shared one reads
 * the row on each lookup, since another hub may have revoked or slid it.
 */
export abstract class SessionsBase implements SessionStore {
  protected readonly live = new Map<string, Session>();
  readonly revoked = new Revocations();

  constructor(
    private readonly ttlMs: number,
    protected readonly clock: () => number,
    private readonly authoritativeCache: boolean,
  ) {}

  protected abstract insert(session: Session): Promise<void>;
  protected abstract read(digest: string): Promise<StoredSession | undefined>;
  protected abstract readUser(username: string): Promise<UserRecord | undefined>;
  protected abstract writeExpiry(digest: string, expiresAt: number): Promise<void>;
  protected abstract delete(digest: string): Promise<void>;
  protected abstract deleteUser(username: string): Promise<void>;
  protected abstract deleteExpired(now: number): Promise<void>;

  get ttl(): number {
    return this.ttlMs;
  }

  async create(username: string): Promise<{ token: string; session: Session }> {
    const token = newToken();
    const now = this.clock();
    const session: Session = { digest: tokenDigest(token), username, createdAt: now, expiresAt: now + this.ttlMs, revoked: false };
    await this.insert(session);
    this.live.set(session.digest, session);
    return { token, session };
  }

  async lookup(token: string): Promise<SessionLookup | undefined> {
    if (token.length > 200) return undefined;
    const digest = tokenDigest(token);
    let session = this.live.get(digest);
    let user: UserRecord | undefined;
    if (session && this.authoritativeCache) user = await this.readUser(session.username);
    else {
      const row = await this.read(digest);
      if (!row) {
        if (session) this.ended((s) => s.digest === digest);
        return undefined;
      }
      if (session) session.expiresAt = row.expiresAt;
      else {
        session = { digest, username: row.username, createdAt: row.createdAt, expiresAt: row.expiresAt, revoked: false };
        this.live.set(digest, session);
      }
      user = row.user;
    }
    if (!this.alive(session)) {
      await this.revoke(session);
      return undefined;
    }
    return { session, user };
  }

  async touch(session: Session): Promise<boolean> {
    const now = this.clock();
    if (!this.alive(session) || session.expiresAt - now > this.ttlMs / 2) return false;
    session.expiresAt = now + this.ttlMs;
    await this.writeExpiry(session.digest, session.expiresAt);
    return true;
  }

  alive(session: Session): boolean {
    return !session.revoked && session.expiresAt > this.clock();
  }

  async revoke(session: Session): Promise<void> {
    session.revoked = true;
    this.live.delete(session.digest);
    await this.delete(session.digest);
    this.revoked.emit({ digest: session.digest });
  }

  async revokeUser(username: string): Promise<void> {
    this.ended((s) => s.username.toLowerCase() === username.toLowerCase());
    await this.deleteUser(username);
    this.revoked.emit({ username });
  }

  async purgeExpired(): Promise<void> {
    const now = this.clock();
    await this.deleteExpired(now);
    for (const [k, s] of this.live) if (s.expiresAt <= now) this.live.delete(k);
  }

  /** Marks the sessions in memory that match as ended (revoked here or on another hub). */
  protected ended(match: (s: Session) => boolean): void {
    for (const [k, s] of this.live) {
      if (!match(s)) continue;
      s.revoked = true;
      this.live.delete(k);
    }
  }
}

/** Sessions in SQLite, so they survive a hub restart; only this hub writes them. */
export class SqliteSessionStore extends SessionsBase {
  private readonly users: UserRepository;

  constructor(
    private readonly db: Database.Database,
    ttlMs: number,
    clock: () => number = Date.now,
  ) {
    super(ttlMs, clock, true);
    this.users = new UserRepository(db);
  }

  protected async insert(s: Session): Promise<void> {
    this.db.prepare('INSERT INTO sessions (digest, username, created_at, expires_at) VALUES (?, ?, ?, ?)').run(s.digest, s.username, s.createdAt, s.expiresAt);
  }

  protected async read(digest: string): Promise<StoredSession | undefined> {
    const row = this.db.prepare('SELECT * FROM sessions WHERE digest = ?').get(digest) as { username: string; created_at: number; expires_at: number } | undefined;
    return row && { username: row.username, createdAt: row.created_at, expiresAt: row.expires_at, user: this.users.get(row.username) };
  }

  protected async readUser(username: string): Promise<UserRecord | undefined> {
    return this.users.get(username);
  }

  protected async writeExpiry(digest: string, expiresAt: number): Promise<void> {
    this.db.prepare('UPDATE sessions SET expires_at = ? WHERE digest = ?').run(expiresAt, digest);
  }

  protected async delete(digest: string): Promise<void> {
    this.db.prepare('DELETE FROM sessions WHERE digest = ?').run(digest);
  }

  protected async deleteUser(username: string): Promise<void> {
    this.db.prepare('DELETE FROM sessions WHERE username = ?').run(username);
  }

  protected async deleteExpired(now: number): Promise<void> {
    this.db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now);
  }
}
