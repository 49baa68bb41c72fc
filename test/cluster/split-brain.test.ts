import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmPublisher, LEASE_TTL_MS, startCluster, waitForShare, type Cluster } from '../helpers/cluster.ts';

/**
 * A hub paused (SIGSTOP) past its lease while alarms arrive, its communities taken over, then
 * resumed (SIGCONT): it must not send one stale robot message nor write one row under its old epoch,
 * and every alarm gets its robot message exactly once.
 */
describe('cluster split-brain: a paused hub resumes after its lease was taken', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster('splitbrain');
    for (const i of [0, 1, 2]) await cluster.startHub(i);
  }, 180_000);
  afterAll(async () => {
    if (process.env.CLUSTER_LOGS) for (const [i, h] of cluster.hubs.entries()) fs.writeFileSync(`/tmp/cluster-sb-hub${i}.log`, h?.output() ?? '');
    cluster?.hubs[2]?.child.kill('SIGCONT');
    await cluster?.stop();
  });

  it('the resumed hub neither notifies nor writes on its stale leases', async () => {
    const all = ['hub-0', 'hub-1', 'hub-2'];
    await waitForShare(cluster, all);
    const paused = cluster.hubs[2]!;
    const theirs = [...(await cluster.holders())].filter(([, h]) => h === 'hub-2').map(([c]) => c);
    expect(theirs.length).toBeGreaterThan(0);
    const publisher = new AlarmPublisher(cluster.mosquitto.url, theirs, 'sb');
    await publisher.start(1_000_000);
    // Alarms in flight to the hub as it freezes: some in its memory, its outbox, its socket.
    for (let i = 0; i < 6; i++) void publisher.publishOne();
    await new Promise((r) => setTimeout(r, 30));
    paused.child.kill('SIGSTOP');
    const pausedAt = Date.now();
    await waitForShare(cluster, ['hub-0', 'hub-1'], 30_000);
    const [takeover] = await cluster.sql<{ at: number }[]>`SELECT (extract(epoch from now()) * 1000)::bigint AS at`;
    const epochs = new Map((await cluster.sql<{ community_id: string; epoch: number }[]>`SELECT community_id, epoch::int FROM community_leases WHERE community_id = ANY(${theirs})`).map((r) => [r.community_id, r.epoch]));
    console.log(`split-brain: ${theirs.join(', ')} taken from the paused hub ${Date.now() - pausedAt} ms after SIGSTOP (lease ttl ${LEASE_TTL_MS} ms)`);
    for (let i = 0; i < 12; i++) await publisher.publishOne();
    paused.child.kill('SIGCONT');
    // Long enough for every timer of the resumed hub to fire and for it to rejoin.
    await new Promise((r) => setTimeout(r, LEASE_TTL_MS * 2));
    await publisher.stop();

    const expected = publisher.published.map((p) => p.deviceId);
    await cluster.waitForAlerts(cluster.hubs[0]!, expected);
    const dup = await cluster.sql`SELECT device_id FROM alerts WHERE device_id LIKE 'sb-%' GROUP BY device_id, type HAVING count(*) > 1`;
    expect(dup).toHaveLength(0);
    // Not one row written under an epoch older than the takeover's, after the takeover.
    const staleWrites = await cluster.sql<{ id: string; community_id: string; epoch: number }[]>`
      SELECT id, community_id, epoch::int FROM alerts WHERE community_id = ANY(${theirs}) AND updated_at > ${takeover!.at}`;
    for (const row of staleWrites) expect(row.epoch, `alert ${row.id}`).toBeGreaterThanOrEqual(epochs.get(row.community_id)!);
    // Every alarm's robot message went out once, those committed by the paused hub and never sent
    // by it too (the new holder sends them); each claimed under a current lease.
    // (less the documented window: sent by the paused hub, frozen before recording it).
    const robot = await cluster.notNotifiedOnce(expected, 'hub-2');
    expect(robot.unexplained).toEqual([]);
    const sent = await cluster.sql<{ community_id: string; sent_epoch: number; sent_at: number }[]>`
      SELECT community_id, sent_epoch::int, sent_at FROM notification_outbox WHERE sent_at IS NOT NULL AND alert_id IN (SELECT id FROM alerts WHERE device_id LIKE 'sb-%')`;
    for (const row of sent) if (row.sent_at > takeover!.at) expect(row.sent_epoch).toBeGreaterThanOrEqual(epochs.get(row.community_id)!);
    expect(sent).toHaveLength(expected.length);
    expect(expected.reduce((n, d) => n + cluster.robot.count(d), 0)).toBe(sent.length + robot.resent);
    const unsent = await cluster.sql`SELECT id FROM notification_outbox WHERE sent_at IS NULL`;
    expect(unsent).toHaveLength(0);
    console.log(`split-brain: ${sent.length} robot messages for ${expected.length} alarms, none stale, ${robot.resent} sent again (paused between sending and recording it)`);
  }, 150_000);
});
