import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { ClusterAlertStore } from '../../server/src/cluster/alert-store.ts';
import { LeaseManager, LeaseLost } from '../../server/src/cluster/leases.ts';
import { openPg } from '../../server/src/state/pg/connect.ts';
import { createLogger } from '../../server/src/log.ts';
import { startPostgres, type PostgresService } from '../helpers/services.ts';
import { waitFor } from '../helpers/ports.ts';
import { alert } from '../dashboard/fixtures.ts';

const log = createLogger('silent');

describe('alert state on PostgreSQL for leased communities', () => {
  let pg: PostgresService;
  let sql: Sql;
  beforeAll(async () => {
    pg = await startPostgres();
    sql = await openPg(await pg.database('alert_store'), log);
  });
  afterAll(async () => {
    await sql?.end();
    await pg?.stop();
  });

  it('commits the holder\'s changes fenced, with their notification, and other hubs read them', async () => {
    const leasesA = new LeaseManager({ sql, hubId: 'a', communities: ['c1', 'c2'], ttlMs: 5000, log });
    await leasesA.start();
    const a = new ClusterAlertStore({ hubId: 'a', log });
    const b = new ClusterAlertStore({ hubId: 'b', log, refreshMs: 200 });
    await a.start(sql);
    await b.start(sql);
    const notices: string[] = [];
    const listener = await sql.listen('hub_alert_change', (p) => void notices.push(p));
    const { writer } = await a.open('c1', leasesA.epoch('c1')!);
    const one = alert({ id: 'a-1', communityId: 'c1', deviceId: 'd1' });
    let emitted = 0;
    a.saveChange(one, 'opened', () => emitted++);
    await writer.committed();
    expect(emitted).toBe(1);
    await waitFor(() => b.get('a-1'), { what: 'b to read it' });
    expect(b.othersUnresolved().map((x) => x.id)).toEqual(['a-1']);
    await waitFor(() => notices.length === 1, { what: 'the notification' });
    expect(JSON.parse(notices[0]!)).toEqual({ id: 'a-1', communityId: 'c1', type: 'opened', hub: 'a' });
    const [row] = await sql<{ epoch: number }[]>`SELECT epoch FROM alerts WHERE id = 'a-1'`;
    expect(row!.epoch).toBe(leasesA.epoch('c1'));

    // The lease goes: a write queued under it is refused and never acknowledged.
    const stale = writer;
    await leasesA.stop();
    stale.saveAlert({ ...one, count: 2 }, 'repeated');
    await expect(stale.committed()).rejects.toBeInstanceOf(LeaseLost);
    await new Promise((r) => setTimeout(r, 300));
    const [after] = await sql<{ data: { count: number } }[]>`SELECT data FROM alerts WHERE id = 'a-1'`;
    expect(after!.data.count).toBe(1);
    await listener.unlisten();
    await a.stop();
    await b.stop();
  });
});
