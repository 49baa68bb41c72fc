import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmPublisher, LEASE_TTL_MS, startCluster, storedTelemetry, waitForShare, type Cluster } from '../helpers/cluster.ts';

/**
 * Two hubs on one PostgreSQL under a steady stream of alarms and telemetry; their sessions are
 * cut a few times, then PostgreSQL is stopped (fast shutdown: every session cut, transactions in
 * flight rolled back) for longer than the lease ttl, and started again. No hub may die; every acknowledged reading is stored; every
 * alarm (before, during and after the outage) reaches the alert list once and the robot once;
 * the leases are shared out again.
 */
describe('cluster: PostgreSQL restarted under load', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster('pgrestart', 4);
    for (const i of [0, 1]) await cluster.startHub(i);
  }, 180_000);
  afterAll(async () => {
    if (process.env.CLUSTER_LOGS) for (const [i, h] of cluster.hubs.entries()) if (h) fs.writeFileSync(`/tmp/cluster-pg-hub${i}.log`, h.output());
    await cluster?.stop();
  });

  it('keeps every hub up, loses nothing, and resumes the leases', async () => {
    const hubs = ['hub-0', 'hub-1'];
    await waitForShare(cluster, hubs);
    const publisher = new AlarmPublisher(cluster.mosquitto.url, cluster.communities, 'pr');
    await publisher.start(25);
    await new Promise((r) => setTimeout(r, 2000));
    // First the sessions are cut under the hubs a few times, transactions in flight (what a
    // restart does to them, without the wait), then the server goes away.
    for (let i = 0; i < 4; i++) {
      await cluster.sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'community-safety-hub' AND pid <> pg_backend_pid()`;
      await new Promise((r) => setTimeout(r, 300));
    }
    const stoppedAt = Date.now();
    await cluster.pg.stop('SIGINT');
    const publishedBefore = publisher.published.length;
    // Longer than the ttl: every lease lapses, on the hubs and in the database.
    await new Promise((r) => setTimeout(r, LEASE_TTL_MS + 2000));
    const publishedDuring = publisher.published.length - publishedBefore;
    await cluster.pg.start();
    const startedAt = Date.now();
    const down = startedAt - stoppedAt;

    await waitForShare(cluster, hubs, 30_000);
    const leasesBackMs = Date.now() - startedAt;
    await new Promise((r) => setTimeout(r, 2000));
    await publisher.stop();

    for (const h of cluster.hubs.slice(0, 2)) expect({ exitCode: h!.child.exitCode, signal: h!.child.signalCode }).toEqual({ exitCode: null, signal: null });
    const expected = publisher.published.map((p) => p.deviceId);
    expect(publishedDuring).toBeGreaterThan(50);

    const alerts = await cluster.waitForAlerts(cluster.hubs[0]!, expected, 60_000);
    const allListedMs = Date.now() - startedAt;
    const keys = alerts.filter((a) => a.deviceId.startsWith('pr-')).map((a) => `${a.deviceId}|${a.type}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(expected.length);
    const dup = await cluster.sql`SELECT device_id FROM alerts WHERE device_id LIKE 'pr-%' GROUP BY device_id, type HAVING count(*) > 1`;
    expect(dup).toHaveLength(0);
    // No hub was killed or paused: not even the documented window may send one twice.
    const robot = await cluster.notNotifiedOnce(expected, 'none');
    expect(robot.unexplained).toEqual([]);

    await Promise.all(cluster.hubs.map((h) => h?.kill('SIGTERM')));
    const stored = new Set(cluster.hubs.flatMap((h) => (h ? [...storedTelemetry(h.dataDir, 'pr')] : [])));
    const acked = publisher.telemetry.map((t) => `${t.deviceId}@${t.ts}`);
    expect(acked.filter((t) => !stored.has(t))).toEqual([]);
    console.log(
      `pg-restart: PostgreSQL down ${down} ms; leases shared out again ${leasesBackMs} ms after it started; all ${expected.length} alarms ` +
        `(${publishedDuring} published while it was down) listed ${allListedMs} ms after it started, each notified once; ${acked.length} readings all stored`,
    );
  }, 240_000);
});
