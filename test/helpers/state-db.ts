import Database from 'better-sqlite3';
import { migrate } from '../../server/src/state/migrations.ts';

/** An in-memory state database at the current schema, as openStateDb leaves a DATA_DIR's. */
export function memoryStateDb(): Database.Database {
  const db = new Database(':memory:');
  migrate(db);
  return db;
}
