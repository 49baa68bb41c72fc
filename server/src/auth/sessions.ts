import type Database from 'better-sqlite3';
import { Revocations } from './revocations.ts';
import { newToken, tokenDigest } from './tokens.ts';

export interface Session {
  digest: string;
  username: string;
  createdAt: number;
  expiresAt: number;
  revoked: boolean;
}

/**
 * Login sessions: one opaque token serves as the browser's cookie and the API client's bearer
 * token. Only its SHA-256 is stored (in SQLite, so sessions survive a hub restart); live
 * sessions are also held in memory so a WebSocket can notice its session ending.
 */
export class SessionStore {
  private readonly live = new Map<string, Session>();
  /** Fired on every revocation (the /ws layer closes the sessions' sockets). */
  readonly revoked = new Revocations();

  constructor(
    private readonly db: Database.Database,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  create(username: string): { token: string; session: Session } {
    const token = newToken();
    const now = this.clock();
    const session: Session = { digest: tokenDigest(token), username, createdAt: now, expiresAt: now + this.ttlMs, revoked: false };
    this.db.prepare('INSERT INTO sessions (digest, username, created_at, expires_at) VALUES (?, ?, ?, ?)').run(session.digest, username, now, session.expiresAt);
    this.live.set(session.digest, session);
    return { token, session };
  }

  lookup(token: string): Session | undefined {
    if (token.length > 200) return undefined;
    const digest = tokenDigest(token);
    let session = this.live.get(digest);
    if (!session) {
      const row = this.db.prepare('SELECT * FROM sessions WHERE digest = ?').get(digest) as
        | { digest: string; username: string; created_at: number; expires_at: number }
        | undefined;
      if (!row) return undefined;
      session = { digest, username: row.username, createdAt: row.created_at, expiresAt: row.expires_at, revoked: false };
      this.live.set(digest, session);
    }
    if (!this.alive(session)) {
      this.revoke(session);
      return undefined;
    }
    return session;
  }

  /**
   * Sliding expiry: activity on a session past half its life moves its end to a full TTL from
   * now, so a control-room screen in use never logs out mid-shift while an idle one still ends.
   * Returns true when it moved (the cookie is then renewed); writes at most once per half-TTL.
   */
  touch(session: Session): boolean {
    const now = this.clock();
    if (!this.alive(session) || session.expiresAt - now > this.ttlMs / 2) return false;
    session.expiresAt = now + this.ttlMs;
    this.db.prepare('UPDATE sessions SET expires_at = ? WHERE digest = ?').run(session.expiresAt, session.digest);
    return true;
  }

  get ttl(): number {
    return this.ttlMs;
  }

  alive(session: Session): boolean {
    return !session.revoked && session.expiresAt > this.clock();
  }

  revoke(session: Session): void {
    session.revoked = true;
    this.live.delete(session.digest);
    this.db.prepare('DELETE FROM sessions WHERE digest = ?').run(session.digest);
    this.revoked.emit({ digest: session.digest });
  }

  /** Ends every session of a user (password changed, account disabled or its role changed). */
  revokeUser(username: string): void {
    for (const s of this.live.values()) if (s.username.toLowerCase() === username.toLowerCase()) s.revoked = true;
    for (const [k, s] of this.live) if (s.revoked) this.live.delete(k);
    this.db.prepare('DELETE FROM sessions WHERE username = ?').run(username);
    this.revoked.emit({ username });
  }

  purgeExpired(): void {
    const now = this.clock();
    this.db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now);
    for (const [k, s] of this.live) if (s.expiresAt <= now) this.live.delete(k);
  }
}
