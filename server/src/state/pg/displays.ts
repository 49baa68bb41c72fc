import { displayIdentity, displayRevocation, type DisplayRow, lastSeenStale, newDisplay, pairingRow, type Display, type DisplayStore } from '../../auth/displays.ts';
import type { Principal } from '../../auth/roles.ts';
import type { Session } from '../../auth/sessions.ts';
import { newToken, tokenDigest } from '../../auth/tokens.ts';
import type { PgSql } from './connect.ts';
import { Revocations } from '../../auth/revocations.ts';

type Row = DisplayRow<string[]>;

/** Wall screens on PostgreSQL: a screen paired through hub A is served by any hub. */
export class PgDisplayStore implements DisplayStore {
  readonly revoked = new Revocations();

  constructor(
    private readonly sql: PgSql,
    private readonly clock: () => number = Date.now,
  ) {}

  async list(): Promise<Display[]> {
    return (await this.sql<Row[]>`SELECT * FROM displays ORDER BY created_at`).map(view);
  }

  async create(name: string, communities: string[], createdBy: string): Promise<{ display: Display; code: string }> {
    const now = this.clock();
    const d = newDisplay(communities, now);
    const [row] = await this.sql<Row[]>`
      INSERT INTO displays (id, name, communities, digest, code, code_expires_at, created_at, created_by)
      VALUES (${d.id}, ${name}, ${this.sql.json(d.scope)}, NULL, ${d.code}, ${d.codeExpiresAt}, ${now}, ${createdBy}) RETURNING *`;
    return { display: view(row!), code: d.code };
  }

  async get(id: string): Promise<Display | undefined> {
    const [row] = await this.sql<Row[]>`SELECT * FROM displays WHERE id = ${id}`;
    return row && view(row);
  }

  async pair(code: string): Promise<{ display: Display; token: string } | undefined> {
    if (code.length > 64) return undefined;
    const row = pairingRow(await this.sql<Row[]>`SELECT * FROM displays WHERE code IS NOT NULL AND code_expires_at > ${this.clock()}`, code);
    if (!row) return undefined;
    const token = newToken();
    // "code = …" in the condition: two hubs pairing the same code at once, one wins.
    const [paired] = await this.sql<Row[]>`
      UPDATE displays SET digest = ${tokenDigest(token)}, code = NULL, code_expires_at = NULL WHERE id = ${row.id} AND code = ${row.code} RETURNING *`;
    return paired && { display: view(paired), token };
  }

  async revoke(id: string): Promise<boolean> {
    const gone = (await this.sql`DELETE FROM displays WHERE id = ${id}`).count === 1;
    if (gone) this.revoked.emit(displayRevocation(id));
    return gone;
  }

  async resolve(token: string): Promise<{ session: Session; principal: Principal } | undefined> {
    if (token.length > 200) return undefined;
    const digest = tokenDigest(token);
    const [row] = await this.sql<Row[]>`SELECT * FROM displays WHERE digest = ${digest}`;
    if (!row) return undefined;
    const now = this.clock();
    if (lastSeenStale(row.last_seen_at, now)) await this.sql`UPDATE displays SET last_seen_at = ${now} WHERE id = ${row.id}`;
    return displayIdentity(row, row.communities, digest);
  }
}

function view(r: Row): Display {
  return { id: r.id, name: r.name, communities: r.communities, createdAt: r.created_at, createdBy: r.created_by, lastSeenAt: r.last_seen_at, paired: r.digest !== null };
}
