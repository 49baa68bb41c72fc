import type Database from 'better-sqlite3';
import { hashPassword } from './passwords.ts';
import type { Role, UserRecord } from './roles.ts';

interface Row {
  username: string;
  password_hash: string;
  role: Role;
  display_name: string | null;
  communities: string;
  cells: string;
  worker_id: string | null;
  disabled: number;
  created_at: number;
}

export interface NewUser {
  username: string;
  password: string;
  role: Role;
  displayName?: string | null;
  communities?: string[];
  cells?: string[];
  workerId?: string | null;
}

export type UserPatch = Partial<Omit<NewUser, 'username'>> & { disabled?: boolean };

/** Accounts in the state database. Usernames are matched case-insensitively. */
export class UserRepository {
  constructor(private readonly db: Database.Database) {}

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
  }

  get(username: string): UserRecord | undefined {
    const row = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  passwordHash(username: string): string | undefined {
    return (this.db.prepare('SELECT password_hash FROM users WHERE username = ?').get(username) as { password_hash: string } | undefined)?.password_hash;
  }

  list(): UserRecord[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY username').all() as Row[]).map(toRecord);
  }

  /** Returns false when the username is taken. */
  async create(u: NewUser, now = Date.now()): Promise<boolean> {
    const hash = await hashPassword(u.password);
    const res = this.db
      .prepare(`INSERT OR IGNORE INTO users (username, password_hash, role, display_name, communities, cells, worker_id, disabled, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)`)
      .run(u.username, hash, u.role, u.displayName ?? null, JSON.stringify(u.communities ?? []), JSON.stringify(u.cells ?? []), u.workerId ?? null, now);
    return res.changes === 1;
  }

  /** Creates the user only if there is no user at all, atomically (bootstrap and setup). */
  async createFirst(u: NewUser): Promise<boolean> {
    const hash = await hashPassword(u.password);
    const res = this.db
      .prepare(`INSERT INTO users (username, password_hash, role, display_name, communities, cells, worker_id, disabled, created_at)
        SELECT ?, ?, ?, ?, '[]', '[]', NULL, 0, ? WHERE NOT EXISTS (SELECT 1 FROM users)`)
      .run(u.username, hash, u.role, u.displayName ?? null, Date.now());
    return res.changes === 1;
  }

  async update(username: string, patch: UserPatch): Promise<UserRecord | undefined> {
    const current = this.get(username);
    if (!current) return undefined;
    const hash = patch.password !== undefined ? await hashPassword(patch.password) : this.passwordHash(username)!;
    this.db
      .prepare(`UPDATE users SET password_hash = ?, role = ?, display_name = ?, communities = ?, cells = ?, worker_id = ?, disabled = ? WHERE username = ?`)
      .run(
        hash,
        patch.role ?? current.role,
        patch.displayName !== undefined ? patch.displayName : current.displayName,
        JSON.stringify(patch.communities ?? current.communities),
        JSON.stringify(patch.cells ?? current.cells),
        patch.workerId !== undefined ? patch.workerId : current.workerId,
        (patch.disabled ?? current.disabled) ? 1 : 0,
        username,
      );
    return this.get(username);
  }

  /** Removes the account; returns false when there was none. */
  remove(username: string): boolean {
    return this.db.prepare('DELETE FROM users WHERE username = ?').run(username).changes === 1;
  }
}

function toRecord(r: Row): UserRecord {
  return {
    username: r.username,
    role: r.role,
    displayName: r.display_name,
    communities: JSON.parse(r.communities) as string[],
    cells: JSON.parse(r.cells) as string[],
    workerId: r.worker_id,
    disabled: r.disabled === 1,
    createdAt: r.created_at,
  };
}

/**
 * The accounts as the hub uses them, on any state store (SQLite: SqliteUserStore below;
 * PostgreSQL: state/pg/users.ts). Usernames match case-insensitively everywhere.
 */
export interface UserStore {
  count(): Promise<number>;
  get(username: string): Promise<UserRecord | undefined>;
  passwordHash(username: string): Promise<string | undefined>;
  list(): Promise<UserRecord[]>;
  /** Returns false when the username is taken. */
  create(u: NewUser, now?: number): Promise<boolean>;
  /** Creates the user only if there is no user at all, atomically (bootstrap and setup). */
  createFirst(u: NewUser): Promise<boolean>;
  update(username: string, patch: UserPatch): Promise<UserRecord | undefined>;
  remove(username: string): Promise<boolean>;
}

/** The SQLite accounts behind the async interface: today's repository, unchanged. */
export class SqliteUserStore implements UserStore {
  constructor(readonly repo: UserRepository) {}
  async count(): Promise<number> {
    return this.repo.count();
  }
  async get(username: string): Promise<UserRecord | undefined> {
    return this.repo.get(username);
  }
  async passwordHash(username: string): Promise<string | undefined> {
    return this.repo.passwordHash(username);
  }
  async list(): Promise<UserRecord[]> {
    return this.repo.list();
  }
  create(u: NewUser, now?: number): Promise<boolean> {
    return this.repo.create(u, now);
  }
  createFirst(u: NewUser): Promise<boolean> {
    return this.repo.createFirst(u);
  }
  update(username: string, patch: UserPatch): Promise<UserRecord | undefined> {
    return this.repo.update(username, patch);
  }
  async remove(username: string): Promise<boolean> {
    return this.repo.remove(username);
  }
}
