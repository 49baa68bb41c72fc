import type Database from 'better-sqlite3';

/**
 * The state database's schema, as one ordered list: migration N takes a database at version
 * N - 1 to N. The version lives in SQLite's `PRAGMA user_version` (0 in a new file, and in
 * DATA_DIRs written before versions existed). Never edit a released migration: append one.
 */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly up: (db: Database.Database) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    // Exactly release 0.1.0's tables, IF NOT EXISTS: a 0.1.0 DATA_DIR has them all, with no version.
    description: 'the tables of release 0.1.0',
    up: (db) => {
      db.exec(`
        CREATE TABLE IF NOT EXISTS hub_meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE IF NOT EXISTS devices (
          id TEXT PRIMARY KEY, kind TEXT NOT NULL, community_id TEXT NOT NULL,
          grid_cell_id TEXT, building_id TEXT, floor INTEGER, name TEXT, location TEXT,
          provisioned INTEGER NOT NULL, online INTEGER NOT NULL,
          last_seen_at REAL, first_seen_at REAL NOT NULL);
        CREATE TABLE IF NOT EXISTS mqtt_credentials (
          username TEXT PRIMARY KEY, type TEXT NOT NULL, communities TEXT NOT NULL DEFAULT '[]',
          hash TEXT NOT NULL, created_at REAL NOT NULL, created_by TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS users (
          username TEXT PRIMARY KEY COLLATE NOCASE, password_hash TEXT NOT NULL, role TEXT NOT NULL,
          display_name TEXT, communities TEXT NOT NULL DEFAULT '[]', cells TEXT NOT NULL DEFAULT '[]',
          worker_id TEXT, disabled INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL);
        CREATE TABLE IF NOT EXISTS sessions (
          digest TEXT PRIMARY KEY, username TEXT NOT NULL COLLATE NOCASE, created_at REAL NOT NULL, expires_at REAL NOT NULL);
        CREATE INDEX IF NOT EXISTS sessions_user ON sessions (username);
        CREATE TABLE IF NOT EXISTS audit_log (
          id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
          target TEXT, ip TEXT, ok INTEGER NOT NULL, detail TEXT);
        CREATE TABLE IF NOT EXISTS alerts (
          id TEXT PRIMARY KEY, community_id TEXT NOT NULL, cell_id TEXT, device_id TEXT NOT NULL,
          type TEXT NOT NULL, severity TEXT NOT NULL, state TEXT NOT NULL, incident_id TEXT,
          opened_at REAL NOT NULL, data TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS alerts_by_state ON alerts (state, opened_at);
        CREATE INDEX IF NOT EXISTS alerts_by_device ON alerts (device_id, type);
        CREATE TABLE IF NOT EXISTS webhook_outbox (
          id INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT NOT NULL, url TEXT NOT NULL, format TEXT NOT NULL,
          body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL, first_failure_at REAL,
          priority INTEGER NOT NULL DEFAULT 2);`);
      // Outboxes from before webhook priorities (pre-0.1.0): their rows count as minor.
      const columns = db.prepare('PRAGMA table_info(webhook_outbox)').all() as { name: string }[];
      if (!columns.some((c) => c.name === 'priority')) db.exec('ALTER TABLE webhook_outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 2');
    },
  },
  {
    version: 2,
    description: 'delivery to people: the people outbox, Web Push subscriptions, used acknowledgement links',
    up: (db) => {
      db.exec(`
        CREATE TABLE people_outbox (
          id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, alert_id TEXT NOT NULL,
          channel TEXT NOT NULL, recipient_id TEXT NOT NULL, message TEXT NOT NULL, priority INTEGER NOT NULL,
          state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL,
          first_failure_at REAL, last_error TEXT, created_at REAL NOT NULL, done_at REAL);
        CREATE INDEX people_outbox_due ON people_outbox (state, channel, next_attempt_at);
        CREATE INDEX people_outbox_alert ON people_outbox (alert_id, state);
        CREATE TABLE push_subscriptions (
          id TEXT PRIMARY KEY, username TEXT NOT NULL COLLATE NOCASE, endpoint TEXT NOT NULL UNIQUE,
          p256dh TEXT NOT NULL, auth TEXT NOT NULL, user_agent TEXT, created_at REAL NOT NULL, last_success_at REAL);
        CREATE INDEX push_subscriptions_user ON push_subscriptions (username);
        CREATE TABLE ack_link_uses (nonce TEXT PRIMARY KEY, alert_id TEXT NOT NULL, used_at REAL NOT NULL);`);
    },
  },
  {
    version: 3,
    description: 'cases (事件): the cases, their code sequences and photos',
    up: (db) => {
      db.exec(`
        CREATE TABLE cases (
          id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE, community_id TEXT NOT NULL, cell_id TEXT,
          category TEXT NOT NULL, stage TEXT NOT NULL, source TEXT NOT NULL, alert_id TEXT, assignee TEXT,
          overdue INTEGER NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL, data TEXT NOT NULL);
        CREATE INDEX cases_by_created ON cases (created_at);
        CREATE INDEX cases_by_stage ON cases (stage, created_at);
        CREATE INDEX cases_by_community ON cases (community_id, cell_id, created_at);
        CREATE UNIQUE INDEX cases_by_alert ON cases (alert_id) WHERE alert_id IS NOT NULL;
        CREATE TABLE case_sequences (community_code TEXT NOT NULL, day TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (community_code, day));
        CREATE TABLE case_photos (
          id TEXT PRIMARY KEY, case_id TEXT NOT NULL, type TEXT NOT NULL, bytes INTEGER NOT NULL, data BLOB NOT NULL, created_at REAL NOT NULL);
        CREATE INDEX case_photos_by_case ON case_photos (case_id);`);
    },
  },
  {
    version: 4,
    description: 'case requests by idempotency key: a phone that sends twice is answered once',
    up: (db) => {
      db.exec(`
        CREATE TABLE case_requests (
          owner TEXT NOT NULL, key TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL, created_at REAL NOT NULL,
          PRIMARY KEY (owner, key));
        CREATE INDEX case_requests_by_age ON case_requests (created_at);`);
    },
  },
  {
    version: 5,
    description: "cases: the figures' facts as columns, so figures over many cases read no JSON",
    up: (db) => {
      for (const column of ['accepted_at REAL', 'first_dispatch_at REAL', 'disposed_at REAL', 'disposed_due REAL', 'closed_at REAL', 'closed_due REAL', 'rework_count INTEGER NOT NULL DEFAULT 0', 'extension_count INTEGER NOT NULL DEFAULT 0', 'satisfied INTEGER']) {
        db.exec(`ALTER TABLE cases ADD COLUMN ${column}`);
      }
      db.exec(`UPDATE cases SET
        accepted_at = json_extract(data, '$.stageAt.accepted'),
        first_dispatch_at = (SELECT json_extract(h.value, '$.at') FROM json_each(cases.data, '$.history') AS h WHERE json_extract(h.value, '$.action') = 'dispatch' ORDER BY h.key LIMIT 1),
        disposed_at = json_extract(data, '$.stageAt.disposed'), disposed_due = json_extract(data, '$.deadlines.disposed'),
        closed_at = json_extract(data, '$.stageAt.closed'), closed_due = json_extract(data, '$.deadlines.closed'),
        rework_count = json_extract(data, '$.reworkCount'), extension_count = json_extract(data, '$.extensionCount'),
        satisfied = json_extract(data, '$.satisfied')`);
    },
  },
  {
    version: 6,
    description: 'alert search: the device kind as a column, and indexes for paging by opened time',
    up: (db) => {
      db.exec(`
        ALTER TABLE alerts ADD COLUMN kind TEXT;
        UPDATE alerts SET kind = json_extract(data, '$.kind');
        CREATE INDEX alerts_by_opened ON alerts (opened_at, id);
        CREATE INDEX alerts_by_community_opened ON alerts (community_id, opened_at, id);`);
    },
  },
  {
    version: 7,
    description: 'carrier platform pushes already taken (CTWing upPacketSN, OneNET points), so a retry after a restart is not stored twice',
    up: (db) => {
      db.exec('CREATE TABLE IF NOT EXISTS push_replays (key TEXT PRIMARY KEY, at INTEGER NOT NULL)');
    },
  },
  {
    version: 8,
    description: "cases: one covering index of the figures' facts, so GET /api/stats/cases reads no case JSON (it supersedes cases_by_created)",
    up: (db) => {
      db.exec(`
        CREATE INDEX cases_figures ON cases (created_at, community_id, cell_id, category, assignee, stage, overdue,
          accepted_at, first_dispatch_at, disposed_at, disposed_due, closed_at, closed_due, rework_count, extension_count, satisfied);
        DROP INDEX cases_by_created;`);
    },
  },
  {
    version: 9,
    description: 'push_replays by age: the pruning of expired packets and the read-back at start use an index, not a scan of the table',
    up: (db) => {
      db.exec('CREATE INDEX push_replays_by_at ON push_replays (at)');
    },
  },
];

export const STATE_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** A DATA_DIR written by a newer hub: its schema may mean things this code does not know. */
export class NewerSchemaError extends Error {
  constructor(readonly found: number) {
    super(`the state database is at schema version ${found}, newer than this hub knows (${STATE_SCHEMA_VERSION}): run the newer hub, or restore a backup of DATA_DIR (docs/upgrading.md)`);
  }
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Brings the database to STATE_SCHEMA_VERSION in one transaction: all of it or none. */
export function migrate(db: Database.Database): { from: number; to: number } {
  const from = schemaVersion(db);
  if (from > STATE_SCHEMA_VERSION) throw new NewerSchemaError(from);
  if (from === STATE_SCHEMA_VERSION) return { from, to: from };
  db.transaction(() => {
    for (const m of MIGRATIONS) if (m.version > from) m.up(db);
    db.pragma(`user_version = ${STATE_SCHEMA_VERSION}`);
  }).immediate();
  return { from, to: STATE_SCHEMA_VERSION };
}
