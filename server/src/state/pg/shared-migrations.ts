import type { PgMigration } from './migrations.ts';

/**
 * What every hub reads from the shared state on PostgreSQL: the auth state (20) and the alerts
 * as their owner hubs write them (21). Versions from 20 up belong here; 2–19 to the cluster
 * (leases, alert writes, outbox).
 */
export const SHARED_PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 20,
    description: 'accounts, sessions, the audit log and wall screens, shared by every hub',
    up: (tx) =>
      tx.unsafe(`
      CREATE TABLE users (
        username text PRIMARY KEY, password_hash text NOT NULL, role text NOT NULL, display_name text,
        communities jsonb NOT NULL DEFAULT '[]', cells jsonb NOT NULL DEFAULT '[]', worker_id text,
        disabled boolean NOT NULL DEFAULT false, created_at bigint NOT NULL);
      CREATE UNIQUE INDEX users_by_name ON users (lower(username));
      CREATE TABLE sessions (digest text PRIMARY KEY, username text NOT NULL, created_at bigint NOT NULL, expires_at bigint NOT NULL);
      CREATE INDEX sessions_by_user ON sessions (lower(username));
      CREATE INDEX sessions_by_expiry ON sessions (expires_at);
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY, at bigint NOT NULL, actor text NOT NULL, action text NOT NULL,
        target text, ip text, ok boolean NOT NULL, detail jsonb);
      CREATE INDEX audit_by_action ON audit_log (action, id);
      CREATE INDEX audit_by_actor ON audit_log (actor, id);
      CREATE TABLE displays (
        id text PRIMARY KEY, name text NOT NULL, communities jsonb NOT NULL, digest text UNIQUE, code text,
        code_expires_at bigint, created_at bigint NOT NULL, created_by text NOT NULL, last_seen_at bigint);`),
  },
  {
    version: 21,
    // The owner hub writes this table (server/src/cluster); created here too, the same shape,
    // so the readers stand on their own. The index is the feed's resync after a reconnect.
    description: 'alerts as the owner hubs write them, and the index the live feed resyncs by',
    up: (tx) =>
      tx.unsafe(`
      CREATE TABLE IF NOT EXISTS alerts (
        id text PRIMARY KEY, community_id text NOT NULL, cell_id text, device_id text NOT NULL, kind text,
        type text NOT NULL, severity text NOT NULL, state text NOT NULL, incident_id text,
        opened_at bigint NOT NULL, updated_at bigint NOT NULL, epoch bigint NOT NULL, data jsonb NOT NULL);
      CREATE INDEX IF NOT EXISTS alerts_by_opened ON alerts (opened_at, id);
      CREATE INDEX IF NOT EXISTS alerts_by_updated ON alerts (updated_at);
      CREATE INDEX IF NOT EXISTS alerts_by_state_opened ON alerts (state, opened_at);`),
  },
  {
    version: 22,
    // Written by the community's holder (server/src/cluster/presence.ts), read by every other hub.
    description: 'device online state, as the holder of its community last saw it',
    up: (tx) =>
      tx.unsafe(`
      CREATE TABLE device_presence (device_id text PRIMARY KEY, community_id text NOT NULL, online boolean NOT NULL, at bigint NOT NULL, hub text NOT NULL);`),
  },
  {
    version: 23,
    // Claimed by the community's holder before each attempt (server/src/cluster/person-claims.ts).
    description: 'messages to people, claimed once across hubs by their key',
    up: (tx) =>
      tx.unsafe(`
      CREATE TABLE person_deliveries (
        key text PRIMARY KEY, community_id text NOT NULL, alert_id text NOT NULL, channel text NOT NULL, recipient_id text NOT NULL,
        epoch bigint NOT NULL, claimed_by text[] NOT NULL DEFAULT '{}', created_at bigint NOT NULL, sent_at bigint, sent_epoch bigint);`),
  },
];
