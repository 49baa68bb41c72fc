import type Database from 'better-sqlite3';
import { ALL, type Principal } from './roles.ts';
import type { Session } from './sessions.ts';
import { Revocations } from './revocations.ts';
import { newToken, sameSecret, tokenDigest } from './tokens.ts';

export interface Display {
  id: string;
  name: string;
  communities: string[];
  createdAt: number;
  createdBy: string;
  lastSeenAt: number | null;
  /** the pairing code has been exchanged for the display's credential */
  paired: boolean;
}

/** How long an admin's pairing code stays usable. */
export const PAIRING_TTL_MS = 15 * 60_000;
/** A display credential's session, as the HTTP layer sees it: it lasts until revoked. */
const FOREVER = 8.64e15;
const DISPLAY_PREFIX = 'display:';

interface Row {
  id: string;
  name: string;
  communities: string;
  digest: string | null;
  code: string | null;
  code_expires_at: number | null;
  created_at: number;
  created_by: string;
  last_seen_at: number | null;
}

/**
 * Wall screens (kiosk mode): an admin creates a display with a one-time pairing code; the screen
 * exchanges the code once for a long-lived credential (only its SHA-256 is stored). A display
 * reads its communities and may acknowledge there, nothing else. Deleting the row revokes it: the
 * next request with its credential is refused.
 */
export class DisplayStore {
  /** Fired when a display is revoked (the /ws layer closes its sockets at once). */
  readonly revoked = new Revocations();

  constructor(
    private readonly db: Database.Database,
    private readonly clock: () => number = Date.now,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS displays (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, communities TEXT NOT NULL, digest TEXT UNIQUE, code TEXT, code_expires_at INTEGER,
      created_at INTEGER NOT NULL, created_by TEXT NOT NULL, last_seen_at INTEGER)`);
  }

  list(): Display[] {
    return (this.db.prepare('SELECT * FROM displays ORDER BY created_at').all() as Row[]).map(view);
  }

  /** A new display and its pairing code (shown to the admin once). */
  create(name: string, communities: string[], createdBy: string): { display: Display; code: string } {
    const id = `d-${newToken().slice(0, 10).toLowerCase().replace(/[^a-z0-9]/g, 'x')}`;
    const code = newToken().slice(0, 12);
    const now = this.clock();
    const scope = communities.includes(ALL) ? [ALL] : communities;
    this.db
      .prepare('INSERT INTO displays (id, name, communities, digest, code, code_expires_at, created_at, created_by) VALUES (?, ?, ?, NULL, ?, ?, ?, ?)')
      .run(id, name, JSON.stringify(scope), code, now + PAIRING_TTL_MS, now, createdBy);
    return { display: this.get(id)!, code };
  }

  get(id: string): Display | undefined {
    const row = this.db.prepare('SELECT * FROM displays WHERE id = ?').get(id) as Row | undefined;
    return row ? view(row) : undefined;
  }

  /** Exchanges a valid, unused pairing code for the display's credential; undefined otherwise. */
  pair(code: string): { display: Display; token: string } | undefined {
    if (code.length > 64) return undefined;
    const rows = this.db.prepare('SELECT * FROM displays WHERE code IS NOT NULL AND code_expires_at > ?').all(this.clock()) as Row[];
    const row = rows.find((r) => sameSecret(code, r.code!));
    if (!row) return undefined;
    const token = newToken();
    this.db.prepare('UPDATE displays SET digest = ?, code = NULL, code_expires_at = NULL WHERE id = ?').run(tokenDigest(token), row.id);
    return { display: this.get(row.id)!, token };
  }

  revoke(id: string): boolean {
    const gone = this.db.prepare('DELETE FROM displays WHERE id = ?').run(id).changes === 1;
    if (gone) this.revoked.emit({ username: `${DISPLAY_PREFIX}${id}`, display: true });
    return gone;
  }

  /** The display a credential belongs to, as a session and a principal; undefined when unknown or revoked. */
  resolve(token: string): { session: Session; principal: Principal } | undefined {
    if (token.length > 200) return undefined;
    const digest = tokenDigest(token);
    const row = this.db.prepare('SELECT * FROM displays WHERE digest = ?').get(digest) as Row | undefined;
    if (!row) return undefined;
    const now = this.clock();
    // at most one write a minute per screen
    if (row.last_seen_at === null || now - row.last_seen_at > 60_000) this.db.prepare('UPDATE displays SET last_seen_at = ? WHERE id = ?').run(now, row.id);
    const communities = JSON.parse(row.communities) as string[];
    const username = `${DISPLAY_PREFIX}${row.id}`;
    return {
      session: { digest, username, createdAt: row.created_at, expiresAt: FOREVER, revoked: false },
      principal: { username, role: 'viewer', displayName: row.name, workerId: null, communities: communities.includes(ALL) ? null : new Set(communities), cells: null, display: true },
    };
  }
}

function view(r: Row): Display {
  return { id: r.id, name: r.name, communities: JSON.parse(r.communities) as string[], createdAt: r.created_at, createdBy: r.created_by, lastSeenAt: r.last_seen_at, paired: r.digest !== null };
}
