import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterAlertStore } from '../../server/src/cluster/alert-store.ts';
import { LeaseManager } from '../../server/src/cluster/leases.ts';
import { createLogger } from '../../server/src/log.ts';
import { PgAlertFeed } from '../../server/src/state/pg/alert-feed.ts';
import { openPg, type PgSql } from '../../server/src/state/pg/connect.ts';
import { alert } from '../dashboard/fixtures.ts';
import { writeAlertAsOwner } from '../helpers/pg-alerts.ts';
import { waitFor } from '../helpers/ports.ts';
import { startPostgres, type PostgresService } from '../helpers/services.ts';

const log = createLogger('silent');

/** The cluster store's view of other hubs' alerts is kept fresh by the hub's one alert feed. */
describe('the cluster alert view, fed by the live alert feed', () => {
  let pg: PostgresService;
  let sql: PgSql;
  beforeAll(async () => {
    pg = await startPostgres();
    sql = await openPg(await pg.database('alert_view'), log, { max: 4 });
  }, 60_000);
  afterAll(async () => {
    await sql?.end();
    await pg?.stop();
  });

  it("takes other hubs' changes from the feed at once, never over its own communities' alerts", async () => {
    const leases = new LeaseManager({ sql, hubId: 'b', communities: ['c2'], ttlMs: 5000, log });
    await leases.start();
    // No reload within the test: what the view learns, it learns from the feed.
    const store = new ClusterAlertStore({ hubId: 'b', log, refreshMs: 600_000 });
    await store.start(sql);
    const feed = new PgAlertFeed({ sql, hubId: 'b', onAlert: (a) => store.heard(a), log });
    await feed.start();
    await store.open('c2', leases.epoch('c2')!);
    const mine = alert({ id: 'own-1', communityId: 'c2', deviceId: 'd-own', count: 5 });
    store.saveChange({ type: 'opened', alert: mine, grouped: false, recipients: [], controlRoom: true, level: 0 }, () => {});

    await writeAlertAsOwner(sql, alert({ id: 'other-1', communityId: 'c1', deviceId: 'd1' }), 'a');
    await waitFor(() => store.get('other-1'), { timeoutMs: 5000, what: "the other hub's alert in the view" });
    await writeAlertAsOwner(sql, alert({ id: 'other-1', communityId: 'c1', deviceId: 'd1', state: 'acknowledged' }), 'a');
    await waitFor(() => store.get('other-1')?.state === 'acknowledged', { timeoutMs: 5000, what: 'the acknowledgement in the view' });
    expect(store.othersUnresolved().map((a) => a.id)).toEqual(['other-1']);
    // A row of its own community written by someone else (a stale holder) does not replace its memory.
    await writeAlertAsOwner(sql, { ...mine, count: 1 }, 'a', { epoch: 0 });
    await waitFor(() => feed.delivered >= 3, { timeoutMs: 5000, what: 'the third change' });
    expect(store.get('own-1')?.count).toBe(5);

    await feed.stop();
    await store.stop();
    await leases.stop();
  }, 30_000);
});
