import type { PgMigration } from '../state/pg/migrations.ts';

/**
 * The cluster's tables on PostgreSQL (versions 2–19 are the cluster's; see
 * server/src/state/pg/migrations.ts). Leases, then the state the lease fences.
 */
export const CLUSTER_PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 2,
    description: 'cluster membership and community leases',
    up: (tx) => tx.unsafe(`
      CREATE TABLE hub_members (hub_id text PRIMARY KEY, heartbeat_at timestamptz NOT NULL);
      CREATE TABLE community_leases (
        community_id text PRIMARY KEY, holder text, epoch bigint NOT NULL DEFAULT 0,
        expires_at timestamptz NOT NULL DEFAULT '-infinity');`),
  },
  {
    version: 3,
    description: 'alerts and rule memory of leased communities',
    up: (tx) => tx.unsafe(`
      CREATE TABLE alerts (
        id text PRIMARY KEY, community_id text NOT NULL, cell_id text, device_id text NOT NULL, kind text,
        type text NOT NULL, severity text NOT NULL, state text NOT NULL, incident_id text,
        opened_at bigint NOT NULL, updated_at bigint NOT NULL, epoch bigint NOT NULL, data jsonb NOT NULL);
      CREATE INDEX alerts_unresolved ON alerts (community_id) WHERE state <> 'resolved';
      CREATE INDEX alerts_by_opened ON alerts (opened_at, id);
      CREATE UNIQUE INDEX alerts_one_unresolved ON alerts (device_id, type) WHERE state <> 'resolved';
      CREATE TABLE rule_memory (
        device_id text PRIMARY KEY, community_id text NOT NULL, epoch bigint NOT NULL, state jsonb NOT NULL);
      CREATE INDEX rule_memory_by_community ON rule_memory (community_id);`),
  },
  {
    version: 4,
    description: 'notifications keyed once per alert, level, recipient and channel',
    up: (tx) => tx.unsafe(`
      CREATE TABLE notification_outbox (
        id bigserial PRIMARY KEY, community_id text NOT NULL, alert_id text NOT NULL, level integer NOT NULL,
        recipient text NOT NULL, channel text NOT NULL, body jsonb NOT NULL, epoch bigint NOT NULL,
        created_at bigint NOT NULL, sent_at bigint, sent_epoch bigint,
        UNIQUE (alert_id, level, recipient, channel));
      CREATE INDEX notification_outbox_unsent ON notification_outbox (community_id, id) WHERE sent_at IS NULL;`),
  },
  {
    version: 5,
    description: 'alert commands received by a hub that does not own the community',
    up: (tx) => tx.unsafe(`
      CREATE TABLE alert_commands (
        id text PRIMARY KEY, alert_id text NOT NULL, community_id text NOT NULL, command jsonb NOT NULL,
        created_at bigint NOT NULL, done_at bigint, result jsonb, error text);
      CREATE INDEX alert_commands_pending ON alert_commands (community_id) WHERE done_at IS NULL;`),
  },
  {
    version: 6,
    // `json` keeps the body's exact text, which the channel key hashes; format and severity let a
    // new holder send what an earlier one committed; claimed_by ('hub@epoch', one per attempt)
    // tells a message sent twice by a holder that died after sending (docs/scaling.md).
    description: 'robot messages written with their alert change (transactional outbox)',
    up: (tx) => tx.unsafe(`
      ALTER TABLE notification_outbox ALTER COLUMN body TYPE json USING body::json,
        ADD COLUMN format text, ADD COLUMN severity text, ADD COLUMN claimed_by text[] NOT NULL DEFAULT '{}';`),
  },
];
