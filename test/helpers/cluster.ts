import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import type { Sql } from 'postgres';
// The hub's patched driver: this pool lives through PostgreSQL restarts too (pg-restart.test.ts).
import postgres from '../../server/src/state/pg/driver/index.js';
import type { Alert } from '#devices';
import { reconnectBackoffS } from '../../server/src/state/pg/connect.ts';
import { startHubProcess, tempDataDir, type HubProcess } from './hub.ts';
import { login } from './auth.ts';
import { waitFor } from './ports.ts';
import { startMosquitto, startPostgres, type PostgresService, type Service } from './services.ts';

/** A control-room robot (WeCom group webhook protocol): counts what each device's alerts sent. */
export class RobotReceiver {
  readonly bodies: string[] = [];
  private server: http.Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        this.bodies.push(body);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ errcode: 0, errmsg: 'ok' }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/cgi-bin/webhook/send?key=test`;
  }

  /** Messages that name this device (fo-c1-1, not fo-c1-10). */
  count(deviceId: string): number {
    const name = new RegExp(`${deviceId}(?![0-9])`);
    return this.bodies.filter((b) => name.test(b)).length;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /**
   * Waits until every device named has a message, then a little longer for late doubles, and
   * returns the devices that did not get exactly one.
   */
  async notExactlyOnce(deviceIds: readonly string[], timeoutMs = 30_000): Promise<{ deviceId: string; messages: number }[]> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && deviceIds.some((d) => this.count(d) === 0)) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 1500));
    return deviceIds.map((deviceId) => ({ deviceId, messages: this.count(deviceId) })).filter((x) => x.messages !== 1);
  }
}

/** Telemetry (device, ms) stored in a stopped hub's embedded store. */
export function storedTelemetry(dataDir: string, prefix: string): Set<string> {
  const db = new Database(path.join(dataDir, 'telemetry.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT device_id, ts_us FROM telemetry WHERE device_id LIKE ?').all(`${prefix}-%`) as { device_id: string; ts_us: number }[];
    return new Set(rows.map((r) => `${r.device_id}@${Math.round(r.ts_us / 1000)}`));
  } finally {
    db.close();
  }
}

export interface Cluster {
  pg: PostgresService;
  mosquitto: Service;
  robot: RobotReceiver;
  stateUrl: string;
  sql: Sql;
  configFile: string;
  communities: string[];
  hubs: (HubProcess | undefined)[];
  /** Starts hub i (hub-i), on its own DATA_DIR (the same one again after a kill). */
  startHub(i: number): Promise<HubProcess>;
  /** Community → holder, for the leases valid now. */
  holders(): Promise<Map<string, string>>;
  /** Every alert in the shared state, as a hub's /api/alerts shows them. */
  alertsVia(hub: HubProcess): Promise<Alert[]>;
  /** Waits until a hub's /api/alerts lists every device named; throws naming the missing ones. */
  waitForAlerts(hub: HubProcess, deviceIds: readonly string[], timeoutMs?: number): Promise<Alert[]>;
  /**
   * The devices whose alarm did not reach the robot exactly once, waiting for the last ones,
   * less those in the documented at-least-once window: a message `gone` (a hub killed or paused)
   * sent and never recorded as sent, so the next holder sent it again. Such a message counts one
   * claim per send, all but the last by `gone`.
   */
  notNotifiedOnce(deviceIds: readonly string[], gone: string): Promise<{ unexplained: { deviceId: string; messages: number; claimedBy: string[]; outbox: string | null }[]; resent: number }>;
  stop(): Promise<void>;
}

export const LEASE_TTL_MS = 4000;

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
let bundled = false;

/**
 * The hubs run as `npm start` runs them, from the esbuild bundle (built once, when the sources
 * are newer): each starts in a second or two instead of loading the sources through tsx (~8 s).
 */
function bundleHub(): void {
  if (bundled) return;
  execFileSync(process.execPath, [path.join(repoRoot, 'scripts/build-server.mjs'), '--if-stale'], { cwd: repoRoot, stdio: 'ignore' });
  bundled = true;
}

/** PostgreSQL, Mosquitto, a robot receiver and a config file with `n` communities, for up to three hubs. */
export async function startCluster(name: string, n = 6): Promise<Cluster> {
  const [pg, mosquitto] = await Promise.all([startPostgres(), startMosquitto()]);
  const robot = new RobotReceiver();
  await robot.start();
  const stateUrl = await pg.database(name);
  const sql = postgres(stateUrl, { max: 2, onnotice: () => {}, backoff: reconnectBackoffS });
  const communities = Array.from({ length: n }, (_, i) => `c${i + 1}`);
  const dir = tempDataDir(`${name}-config`);
  const configFile = path.join(dir, 'hub.json');
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      communities: communities.map((id) => ({ id, cells: [{ id: `${id}-g1` }], controlRoom: { webhooks: [{ format: 'wecom', url: robot.url }] } })),
      // Reminders and escalations after the test: each alarm sends exactly one message (its opening).
      escalation: { ackDeadlineS: { critical: 3600, major: 3600, minor: 3600 }, reminderIntervalS: { critical: 3600, major: 3600, minor: 3600 } },
    }),
  );
  const dataDirs = [0, 1, 2].map((i) => tempDataDir(`${name}-hub${i}`));
  const hubs: (HubProcess | undefined)[] = [undefined, undefined, undefined];
  const tokens = new Map<string, string>();
  const cluster: Cluster = {
    pg,
    mosquitto,
    robot,
    stateUrl,
    sql,
    configFile,
    communities,
    hubs,
    async startHub(i) {
      bundleHub();
      const hub = await startHubProcess({
        STATE_URL: stateUrl,
        HUB_ID: `hub-${i}`,
        HUB_LEASE_TTL_MS: String(LEASE_TTL_MS),
        MQTT_URL: mosquitto.url,
        MQTT_CLIENT_ID: `hub-${i}`,
        HUB_CONFIG: configFile,
        DATA_DIR: dataDirs[i]!,
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
      }, { bundled: true });
      hubs[i] = hub;
      tokens.delete(hub.httpUrl);
      return hub;
    },
    async holders() {
      const rows = await sql<{ community_id: string; holder: string }[]>`SELECT community_id, holder FROM community_leases WHERE holder IS NOT NULL AND expires_at > now()`;
      return new Map(rows.map((r) => [r.community_id, r.holder]));
    },
    async alertsVia(hub) {
      let token = tokens.get(hub.httpUrl);
      if (!token) tokens.set(hub.httpUrl, (token = await login(hub.httpUrl)));
      const res = await fetch(`${hub.httpUrl}/api/alerts?limit=10000`, { headers: { authorization: `Bearer ${token}` } });
      if (!res.ok) throw new Error(`GET /api/alerts: HTTP ${res.status}`);
      return ((await res.json()) as { alerts: Alert[] }).alerts;
    },
    async waitForAlerts(hub, deviceIds, timeoutMs = 30_000) {
      return waitFor(
        async () => {
          const list = await cluster.alertsVia(hub);
          const seen = new Set(list.map((a) => a.deviceId));
          return deviceIds.every((d) => seen.has(d)) ? list : undefined;
        },
        { timeoutMs, intervalMs: 250, what: `all ${deviceIds.length} alarms in the alert list` },
      ).catch(async (err: unknown) => {
        const seen = new Set((await cluster.alertsVia(hub)).map((a) => a.deviceId));
        const missing = deviceIds.filter((d) => !seen.has(d));
        const inPg = await sql`SELECT device_id FROM alerts WHERE device_id = ANY(${sql.array(missing)}::text[])`;
        throw new Error(`${(err as Error).message}; missing ${JSON.stringify(missing)}, in PostgreSQL: ${inPg.length}`);
      });
    },
    async notNotifiedOnce(deviceIds, gone) {
      const off = await robot.notExactlyOnce(deviceIds);
      if (off.length === 0) return { unexplained: [], resent: 0 };
      const rows = await sql<{ device_id: string; claimed_by: string[] | null; outbox: string | null }[]>`
        SELECT a.device_id, o.claimed_by,
          CASE WHEN o.id IS NULL THEN 'no outbox row' ELSE concat('epoch ', o.epoch, ', sent ', coalesce(o.sent_at::text, 'no'), ', alert epoch ', a.epoch) END AS outbox
        FROM alerts a LEFT JOIN notification_outbox o ON a.id = o.alert_id WHERE a.device_id = ANY(${sql.array(off.map((o) => o.deviceId))}::text[])`;
      const claims = new Map(rows.map((r) => [r.device_id, r.claimed_by ?? []]));
      const outbox = new Map(rows.map((r) => [r.device_id, r.outbox]));
      const inWindow = ({ deviceId, messages }: { deviceId: string; messages: number }) => {
        const by = claims.get(deviceId) ?? [];
        return messages > 1 && messages <= by.length && by.slice(0, -1).every((c) => c.startsWith(`${gone}@`)) && !by.at(-1)!.startsWith(`${gone}@`);
      };
      return {
        unexplained: off.filter((o) => !inWindow(o)).map((o) => ({ ...o, claimedBy: claims.get(o.deviceId) ?? [], outbox: outbox.get(o.deviceId) ?? 'no alert' })),
        resent: off.filter(inWindow).length,
      };
    },
    async stop() {
      await Promise.all(hubs.map((h) => h?.kill('SIGTERM')));
      await sql.end({ timeout: 1 });
      await robot.stop();
      await Promise.all([mosquitto.stop(), pg.stop()]);
    },
  };
  return cluster;
}

/** Waits until every community is held, each by a hub in `by`, in a fair share. */
export async function waitForShare(cluster: Pick<Cluster, 'holders' | 'communities'> & Partial<Pick<Cluster, 'sql'>>, by: string[], timeoutMs = 20_000): Promise<Map<string, string>> {
  return waitFor(
    async () => {
      const holders = await cluster.holders();
      if (holders.size !== cluster.communities.length) return undefined;
      if ([...holders.values()].some((h) => !by.includes(h))) return undefined;
      const fair = Math.ceil(cluster.communities.length / by.length);
      const counts = by.map((h) => [...holders.values()].filter((x) => x === h).length);
      return counts.every((c) => c <= fair) ? holders : undefined;
    },
    { timeoutMs, intervalMs: 100, what: `every community held by ${by.join(', ')}` },
  ).catch(async (err: unknown) => {
    throw new Error(`${(err as Error).message}\n${cluster.sql ? await leaseDiagnosis(cluster.sql) : ''}`);
  });
}

/** What holds the leases up: the lease rows, the members' heartbeats, and every session's state and locks. */
async function leaseDiagnosis(sql: Sql): Promise<string> {
  const [leases, members, sessions] = await Promise.all([
    sql`SELECT community_id, holder, epoch, round(extract(epoch from expires_at - now()) * 1000) AS expires_in_ms FROM community_leases ORDER BY community_id`,
    sql`SELECT hub_id, round(extract(epoch from now() - heartbeat_at) * 1000) AS heartbeat_ago_ms FROM hub_members ORDER BY hub_id`,
    sql`SELECT a.pid, a.state, a.wait_event_type, a.wait_event, round(extract(epoch from now() - a.xact_start) * 1000) AS xact_ms, left(a.query, 120) AS query,
          (SELECT string_agg(l.locktype || ':' || l.mode || CASE WHEN l.granted THEN '' ELSE '(waiting)' END, ' ') FROM pg_locks l WHERE l.pid = a.pid AND l.locktype IN ('tuple', 'transactionid', 'relation') AND l.relation IS DISTINCT FROM 'pg_locks'::regclass) AS locks
        FROM pg_stat_activity a WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()`,
  ]).catch((e: unknown) => [[{ error: (e as Error).message }], [], []]);
  return `leases ${JSON.stringify(leases)}\nmembers ${JSON.stringify(members)}\nsessions ${JSON.stringify(sessions)}`;
}

/** A device fleet's alarms: one new smoke detector per alarm, round robin over the communities. */
export class AlarmPublisher {
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  readonly published: { deviceId: string; communityId: string; at: number }[] = [];
  /** Telemetry the broker acknowledged: one reading per alarm, on each community's meter. */
  readonly telemetry: { deviceId: string; ts: number }[] = [];
  private n = 0;

  constructor(private readonly url: string, private readonly communities: string[], private readonly prefix: string) {}

  async start(everyMs: number): Promise<void> {
    this.client = await mqtt.connectAsync(this.url, { clientId: `${this.prefix}-publisher`, clean: true });
    this.timer = setInterval(() => void this.publishOne(), everyMs);
  }

  async publishOne(): Promise<void> {
    const communityId = this.communities[this.n % this.communities.length]!;
    const deviceId = `${this.prefix}-${communityId}-${this.n++}`;
    // QoS 1: the broker holds it for the community's session, whoever holds that now.
    // One reading per community every few hundred ms: its ms timestamp names it.
    const ts = Date.now();
    await Promise.all([
      this.client!.publishAsync(`community/${communityId}/smoke/${deviceId}/event`, JSON.stringify({ type: 'alarm' }), { qos: 1 }),
      this.client!.publishAsync(`community/${communityId}/smoke/${this.prefix}-t-${communityId}/telemetry`, JSON.stringify({ battery_pct: 90, ts }), { qos: 1 })
        .then(() => this.telemetry.push({ deviceId: `${this.prefix}-t-${communityId}`, ts })),
    ]);
    this.published.push({ deviceId, communityId, at: Date.now() });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.client?.endAsync();
  }
}
