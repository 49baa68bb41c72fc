import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { asStartupError, StartupError } from './startup-error.ts';
import { migrate, NewerSchemaError } from './state/migrations.ts';

/**
 * The hub's state database (devices, alerts, users, sessions, MQTT credentials, audit, webhook
 * outbox): one SQLite file under DATA_DIR, brought to the current schema when opened.
 */
export function openStateDb(dataDir: string): Database.Database {
  const file = path.join(dataDir, 'hub.db');
  let db: Database.Database | undefined;
  try {
    ensureWritableDir(dataDir);
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    // Opening may write nothing else: find a read-only or full DATA_DIR now, not on the first change.
    db.prepare("INSERT OR REPLACE INTO hub_meta (key, value) VALUES ('opened_at', ?)").run(String(Date.now()));
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof NewerSchemaError) throw new StartupError(file, err.message);
    throw asStartupError(err, file);
  }
}

/**
 * mkdir -p, one level at a time: a recursive mkdirSync reports a read-only parent as ENOENT.
 * Then checks the directory is writable, so the cause is named before SQLite's vaguer CANTOPEN.
 */
export function ensureWritableDir(dir: string): void {
  const missing: string[] = [];
  let at = path.resolve(dir);
  while (!fs.existsSync(at) && path.dirname(at) !== at) {
    missing.unshift(at);
    at = path.dirname(at);
  }
  for (const d of missing) fs.mkdirSync(d);
  fs.accessSync(dir, fs.constants.W_OK);
  if (!fs.statSync(dir).isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR', path: dir });
}
