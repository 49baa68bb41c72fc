import { hashPassword } from '../../auth/passwords.ts';
import type { Role, UserRecord } from '../../auth/roles.ts';
import type { NewUser, UserPatch, UserStore } from '../../auth/users.ts';
import type { PgSql } from './connect.ts';

export interface PgUserRow {
  username: string;
  password_hash: string;
  role: Role;
  display_name: string | null;
  communities: string[];
  cells: string[];
  worker_id: string | null;
  disabled: boolean;
  created_at: number;
}

/** Any id the same on every hub: serialises "the first account" across hubs starting together. */
const FIRST_USER_LOCK = 0x68756202;

/** Accounts on PostgreSQL; usernames match case-insensitively through the lower(username) index. */
export class PgUserStore implements UserStore {
  constructor(private readonly sql: PgSql) {}

  async count(): Promise<number> {
    const [row] = await this.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM users`;
    return row!.n;
  }

  async get(username: string): Promise<UserRecord | undefined> {
    const [row] = await this.sql<PgUserRow[]>`SELECT * FROM users WHERE lower(username) = lower(${username})`;
    return row && pgUserRecord(row);
  }

  async passwordHash(username: string): Promise<string | undefined> {
    const [row] = await this.sql<{ password_hash: string }[]>`SELECT password_hash FROM users WHERE lower(username) = lower(${username})`;
    return row?.password_hash;
  }

  async list(): Promise<UserRecord[]> {
    return (await this.sql<PgUserRow[]>`SELECT * FROM users ORDER BY lower(username)`).map(pgUserRecord);
  }

  async create(u: NewUser, now = Date.now()): Promise<boolean> {
    const hash = await hashPassword(u.password);
    const res = await this.sql`
      INSERT INTO users (username, password_hash, role, display_name, communities, cells, worker_id, disabled, created_at)
      VALUES (${u.username}, ${hash}, ${u.role}, ${u.displayName ?? null}, ${this.sql.json(u.communities ?? [])}, ${this.sql.json(u.cells ?? [])}, ${u.workerId ?? null}, false, ${now})
      ON CONFLICT DO NOTHING`;
    return res.count === 1;
  }

  async createFirst(u: NewUser): Promise<boolean> {
    const hash = await hashPassword(u.password);
    return this.sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${FIRST_USER_LOCK})`;
      const res = await tx`
        INSERT INTO users (username, password_hash, role, display_name, communities, cells, worker_id, disabled, created_at)
        SELECT ${u.username}, ${hash}, ${u.role}, ${u.displayName ?? null}, '[]', '[]', NULL, false, ${Date.now()}
        WHERE NOT EXISTS (SELECT 1 FROM users)
        ON CONFLICT DO NOTHING`;
      return res.count === 1;
    });
  }

  async update(username: string, patch: UserPatch): Promise<UserRecord | undefined> {
    const current = await this.get(username);
    if (!current) return undefined;
    const hash = patch.password !== undefined ? await hashPassword(patch.password) : (await this.passwordHash(username))!;
    const [row] = await this.sql<PgUserRow[]>`
      UPDATE users SET password_hash = ${hash}, role = ${patch.role ?? current.role},
        display_name = ${patch.displayName !== undefined ? patch.displayName : current.displayName},
        communities = ${this.sql.json(patch.communities ?? current.communities)}, cells = ${this.sql.json(patch.cells ?? current.cells)},
        worker_id = ${patch.workerId !== undefined ? patch.workerId : current.workerId}, disabled = ${patch.disabled ?? current.disabled}
      WHERE lower(username) = lower(${username})
      RETURNING *`;
    return row && pgUserRecord(row);
  }

  async remove(username: string): Promise<boolean> {
    return (await this.sql`DELETE FROM users WHERE lower(username) = lower(${username})`).count === 1;
  }
}

export function pgUserRecord(r: PgUserRow): UserRecord {
  return {
    username: r.username,
    role: r.role,
    displayName: r.display_name,
    communities: r.communities,
    cells: r.cells,
    workerId: r.worker_id,
    disabled: r.disabled,
    createdAt: r.created_at,
  };
}
