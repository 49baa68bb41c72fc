import type Database from 'better-sqlite3';
import { ALL, type Principal } from './roles.ts';
import type { Session } from './sessions.ts';
import { newToken, sameSecret, tokenDigest } from './tokens.ts';
import { Revocations, type Revocation } from './revocations.ts';
import type { WireDisplay } from '#devices/wire.ts';

export type Display = WireDisplay;

/** How long an admin's pairing code stays usable. */
export const PAIRING_TTL_MS = 15 * 60_000;
/** A display credential's session, as the HTTP layer sees it: it lasts until revoked. */
const FOREVER = 8.64e15;
const DISPLAY_PREFIX = 'display:';

/** A display's row; `communities` as the store keeps it (JSON text in SQLite, jsonb in PostgreSQL). */
export interface DisplayRow<C = string> {
  id: string;
  name: string;
  communities: C;
  digest: string | null;
  code: string | null;
  code_expires_at: number | null;
  created_at: number;
  created_by: string;
  last_seen_at: number | null;
}

/**
 * Wall screens (kiosk mode) on any state store: an admin creates a display with a one-time
 * pairing code; the screen exchanges the code once for a long-lived credential (only its SHA-256
 * is stored). A display reads its communities and may acknowledge there, nothing else. Deleting
 * the row revokes it: the next request with its credential is refused.
 */
export interface DisplayStore {
  list(): Promise<Display[]>;
  /** A new display and its pairing code (shown to the admin once). */
  create(name: string, communities: string[], createdBy: string): Promise<{ display: Display; code: string }>;
  get(id: string): Promise<Display | undefined>;
  /** Exchanges a valid, unused pairing code for the display's credential; undefined otherwise. */
  pair(code: string): Promise<{ display: Display; token: string } | undefined>;
  revoke(id: string): Promise<boolean>;
  /** Fired when a display is revoked (the /ws layer closes its sockets at once). */
  readonly revoked: Revocations;
  /** The display a credential belongs to, as a session and a principal; undefined when unknown or revoked. */
  resolve(token: string): Promise<{ session: Session; principal: Principal } | undefined>;
}

/** Whom a display's revocation ends: its credential's session user. */
export function displayRevocation(id: string): Revocation {
  return { username: `${DISPLAY_PREFIX}${id}`, display: true };
}

/** What a new display is given, the same in every store. */
export function newDisplay(communities: string[], now: number): { id: string; code: string; scope: string[]; codeExpiresAt: number } {
  const id = `d-${newToken().slice(0, 10).toLowerCase().replace(/[^a-z0-9]/g, 'x')}`;
  const code = newToken().slice(0, 12);
  return { id, code, scope: communities.includes(ALL) ? [ALL] : communities, codeExpiresAt: now + PAIRING_TTL_MS };
}

/** The row whose pairing code this is (compared in constant time). */
export function pairingRow<R extends { code: string | null }>(rows: R[], code: string): R | undefined {
  return rows.find((r) => sameSecret(code, r.code!));
}

/** A display's credential as a session and a principal. */
export function displayIdentity(row: { id: string; name: string; created_at: number }, communities: string[], digest: string): { session: Session; principal: Principal } {
  const username = `${DISPLAY_PREFIX}${row.id}`;
  return {
    session: { digest, username, createdAt: row.created_at, expiresAt: FOREVER, revoked: false },
    principal: { username, role: 'viewer', displayName: row.name, workerId: null, communities: communities.includes(ALL) ? null : new Set(communities), cells: null, display: true },
  };
}

/** At most one last-seen write a minute per screen. */
export function lastSeenStale(lastSeenAt: number | null, now: number): boolean {
  return lastSeenAt === null || now - lastSeenAt > 60_000;
}

/** Displays in SQLite. */
export class SqliteDisplayStore implements DisplayStore {
  readonly revoked = new Revocations();

  constructor(
    private readonly db: Database.Database,
    private readonly clock: () => number = Date.now,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS displays (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, communities TEXT NOT NULL, digest TEXT UNIQUE, code TEXT, code_expires_at INTEGER,
      created_at INTEGER NOT NULL, created_by TEXT NOT NULL, last_seen_at INTEGER)`);
  }

  async list(): Promise<Display[]> {
    return (this.db.prepare('SELECT * FROM displays ORDER BY created_at').all() as DisplayRow[]).map(view);
  }

  async create(name: string, communities: string[], createdBy: string): Promise<{ display: Display; code: string }> {
    const now = this.clock();
    const d = newDisplay(communities, now);
    this.db
      .prepare('INSERT INTO displays (id, name, communities, digest, code, code_expires_at, created_at, created_by) VALUES (?, ?, ?, NULL, ?, ?, ?, ?)')
      .run(d.id, name, JSON.stringify(d.scope), d.code, d.codeExpiresAt, now, createdBy);
    return { display: this.row(d.id)!, code: d.code };
  }

  async get(id: string): Promise<Display | undefined> {
    return this.row(id);
  }

  async pair(code: string): Promise<{ display: Display; token: string } | undefined> {
    if (code.length > 64) return undefined;
    const row = pairingRow(this.db.prepare('SELECT * FROM displays WHERE code IS NOT NULL AND code_expires_at > ?').all(this.clock()) as DisplayRow[], code);
    if (!row) return undefined;
    const token = newToken();
    this.db.prepare('UPDATE displays SET digest = ?, code = NULL, code_expires_at = NULL WHERE id = ?').run(tokenDigest(token), row.id);
    return { display: this.row(row.id)!, token };
  }

  async revoke(id: string): Promise<boolean> {
    const gone = this.db.prepare('DELETE FROM displays WHERE id = ?').run(id).changes === 1;
    if (gone) this.revoked.emit(displayRevocation(id));
    return gone;
  }

  async resolve(token: string): Promise<{ session: Session; principal: Principal } | undefined> {
    if (token.length > 200) return undefined;
    const digest = tokenDigest(token);
    const row = this.db.prepare('SELECT * FROM displays WHERE digest = ?').get(digest) as DisplayRow | undefined;
    if (!row) return undefined;
    const now = this.clock();
    if (lastSeenStale(row.last_seen_at, now)) this.db.prepare('UPDATE displays SET last_seen_at = ? WHERE id = ?').run(now, row.id);
    return displayIdentity(row, JSON.parse(row.communities) as string[], digest);
  }

  private row(id: string): Display | undefined {
    const row = this.db.prepare('SELECT * FROM displays WHERE id = ?').get(id) as DisplayRow | undefined;
    return row ? view(row) : undefined;
  }
}

function view(r: DisplayRow): Display {
  return { id: r.id, name: r.name, communities: JSON.parse(r.communities) as string[], createdAt: r.created_at, createdBy: r.created_by, lastSeenAt: r.last_seen_at, paired: r.digest !== null };
}
