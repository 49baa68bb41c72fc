import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** The hub's state database (devices, later alerts and users): one SQLite file under DATA_DIR. */
export function openStateDb(dataDir: string): Database.Database {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, 'hub.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  return db;
}
