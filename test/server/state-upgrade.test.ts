import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openStateDb } from '../../server/src/db.ts';
import { migrate, MIGRATIONS, schemaVersion, STATE_SCHEMA_VERSION } from '../../server/src/state/migrations.ts';
import { StartupError } from '../../server/src/startup-error.ts';
import type { Hub } from '../../server/src/hub.ts';
import { authedFetch, login, TEST_ADMIN } from '../helpers/auth.ts';
import { startHub, tempDataDir } from '../helpers/hub.ts';

const fixture = path.join(import.meta.dirname, '..', 'fixtures', 'datadir-0.1.0');
const repoRoot = path.resolve(import.meta.dirname, '..', '..');

function copyFixture(): string {
  const dir = tempDataDir('upgrade');
  for (const f of fs.readdirSync(fixture)) fs.copyFileSync(path.join(fixture, f), path.join(dir, f));
  return dir;
}

/**
 * Each row's identity and the columns a running hub never rewrites. Alerts, devices (last seen),
 * sessions, the hub's own MQTT login (re-set each start) and delivery attempts change by design.
 */
function keysOf(db: Database.Database, table: string): string[] {
  const key = {
    alerts: 'id, community_id, device_id, type, opened_at',
    sessions: 'digest, username',
    devices: 'id, kind, community_id, provisioned',
    mqtt_credentials: 'username, type, communities',
    users: 'username, password_hash, role, communities',
    webhook_outbox: 'id, alert_id, url, format, body',
  }[table];
  const all = db.prepare(`SELECT ${key ?? '*'} FROM ${table}`).all();
  return all.map((r) => JSON.stringify(r));
}

const tableSql = (db: Database.Database) =>
  db.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all() as { sql: string }[];

describe('state schema: a DATA_DIR written by release 0.1.0 opens with nothing lost', () => {
  let hub: Hub | undefined;
  afterAll(async () => {
    await hub?.stop();
  });

  it('the new hub starts on it; users, sessions, devices, credentials, alerts, outbox and audit are all there', async () => {
    const dataDir = copyFixture();
    const before = new Database(path.join(dataDir, 'hub.db'), { readonly: true });
    expect(schemaVersion(before)).toBe(0);
    const count = (db: Database.Database, t: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
    const tables = ['users', 'sessions', 'devices', 'mqtt_credentials', 'alerts', 'webhook_outbox', 'audit_log'];
    const counts = Object.fromEntries(tables.map((t) => [t, count(before, t)]));
    const rows = Object.fromEntries(tables.map((t) => [t, keysOf(before, t)]));
    before.close();
    for (const t of tables) expect(counts[t], t).toBeGreaterThan(0);

    hub = await startHub({ dataDir, configFile: path.join(dataDir, 'community.yaml'), bootstrapAdmin: undefined });
    expect(schemaVersion(hub.db)).toBe(STATE_SCHEMA_VERSION);
    // Every row is still there, unchanged (a running hub may add rows: sessions, audit, escalations).
    for (const t of tables) expect(keysOf(hub.db, t), t).toEqual(expect.arrayContaining(rows[t]!));

    const admin = authedFetch(await login(hub.httpUrl, TEST_ADMIN));
    await login(hub.httpUrl, { username: 'operator1', password: 'operator-password-1' });
    const devices = (await (await admin(`${hub.httpUrl}/api/devices`)).json()) as { devices: { id: string; provisioned: boolean }[] };
    expect(devices.devices.map((d) => d.id)).toEqual(expect.arrayContaining(['fx-smoke-1', 'fx-gate-1']));
    expect(hub.security.credentials.get('fx-smoke-1')).toMatchObject({ type: 'device' });
    expect(hub.security.credentials.get('fixture-gateway')).toMatchObject({ type: 'gateway' });
    const alerts = (await (await admin(`${hub.httpUrl}/api/alerts`)).json()) as { alerts: { type: string; state: string; history: unknown[] }[] };
    // The fixture's two fire alarms, as they were. Its devices have been silent since the day the
    // fixture was written, so the new hub may rightly add device_offline alerts for them; the
    // fixture's age (and so today's date) must not change what this test checks.
    const fixtureAlerts = alerts.alerts.filter((a) => a.type !== 'device_offline');
    expect(fixtureAlerts).toHaveLength(2);
    expect(fixtureAlerts.map((a) => a.state).sort()).toEqual(['acknowledged', 'open']);
    for (const a of fixtureAlerts) expect(a.history.length).toBeGreaterThan(0);
    const audit = (await (await admin(`${hub.httpUrl}/api/audit`)).json()) as { entries: { action: string }[] };
    expect(audit.entries.length).toBeGreaterThanOrEqual(counts.audit_log!);
  });

  it('migration 1 on an empty database makes exactly the tables release 0.1.0 made', () => {
    const fresh = new Database(':memory:');
    // Migration 1 alone: later migrations add tables of their own.
    MIGRATIONS[0]!.up(fresh);
    // A copy: opening a WAL database, even read-only, leaves -shm/-wal files beside it.
    const old = new Database(path.join(copyFixture(), 'hub.db'), { readonly: true });
    const norm = (rows: { sql: string }[]) => rows.map((r) => ({ ...r, sql: r.sql?.replace(/\s+/g, ' ').replace('CREATE TABLE IF NOT EXISTS', 'CREATE TABLE').replace('CREATE INDEX IF NOT EXISTS', 'CREATE INDEX') }));
    expect(norm(tableSql(fresh))).toEqual(norm(tableSql(old)));
    old.close();
  });

  it('opening twice is a no-op', () => {
    const dataDir = copyFixture();
    openStateDb(dataDir).close();
    const once = new Database(path.join(dataDir, 'hub.db'));
    const schema = tableSql(once);
    once.close();
    const db = openStateDb(dataDir);
    expect(migrate(db)).toEqual({ from: STATE_SCHEMA_VERSION, to: STATE_SCHEMA_VERSION });
    expect(tableSql(db)).toEqual(schema);
    db.close();
  });

  it('a DATA_DIR from a newer hub is refused with one line, and left as it was', async () => {
    const dataDir = copyFixture();
    const db = new Database(path.join(dataDir, 'hub.db'));
    db.pragma(`user_version = ${STATE_SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openStateDb(dataDir)).toThrow(StartupError);
    const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'server/src/main.ts')], {
        cwd: repoRoot,
        env: { ...process.env, LOG_LEVEL: 'info', PORT: '0', MQTT_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.stderr.on('data', (d: Buffer) => (text += d.toString()));
      child.once('exit', (code) => resolve({ code, text }));
    });
    const lines = out.text.trim().split('\n');
    expect(lines, out.text).toHaveLength(1);
    expect(lines[0]).toMatch(/^hub: cannot start: .*hub\.db: the state database is at schema version \d+, newer than this hub knows/);
    expect(out.code).toBe(2);
    const after = new Database(path.join(dataDir, 'hub.db'), { readonly: true });
    expect(schemaVersion(after)).toBe(STATE_SCHEMA_VERSION + 1);
    after.close();
  }, 60_000);
});
