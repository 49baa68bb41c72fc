// The receiving side of live fan-out across hubs (state/pg/alert-feed.ts), on a real PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '#devices';
import { createLogger } from '../../server/src/log.ts';
import { PgAlertFeed, parseNotice } from '../../server/src/state/pg/alert-feed.ts';
import { PgAlertReads } from '../../server/src/state/pg/alert-reads.ts';
import { openPg, type PgSql } from '../../server/src/state/pg/connect.ts';
import { alert } from '../dashboard/fixtures.ts';
import { writeAlertAsOwner } from '../helpers/pg-alerts.ts';
import { waitFor } from '../helpers/ports.ts';
import { startPostgres, type PostgresService } from '../helpers/services.ts';

const log = createLogger('silent');

describe('alert feed: other hubs’ alert changes by LISTEN/NOTIFY', () => {
  let pg: PostgresService;
  let owner: PgSql;
  let sql: PgSql;
  let feed: PgAlertFeed;
  const heard: Alert[] = [];
  beforeAll(async () => {
    pg = await startPostgres();
    const url = await pg.database('alert_feed');
    owner = await openPg(url, log, { max: 2 });
    sql = await openPg(url, log, { max: 2 });
    feed = new PgAlertFeed({ sql, hubId: 'hub-b', onAlert: (a) => heard.push(a), log });
    await feed.start();
  }, 60_000);
  afterAll(async () => {
    await feed?.stop();
    await Promise.all([owner?.end(), sql?.end()]);
    await pg?.stop();
  });
  const ids = () => heard.map((a) => `${a.id}:${a.state}`);

  it("hands on another hub's change with the row's state, in order; skips its own; a rolled-back write is never heard", async () => {
    await writeAlertAsOwner(owner, alert({ id: 'a1', deviceId: 'dev-a1', communityId: 'c1' }), 'hub-a');
    await writeAlertAsOwner(owner, alert({ id: 'a1', deviceId: 'dev-a1', communityId: 'c1', state: 'acknowledged', acknowledgedBy: 'op' }), 'hub-a');
    await writeAlertAsOwner(owner, alert({ id: 'own', deviceId: 'dev-own', communityId: 'c9' }), 'hub-b');
    await owner
      .begin(async (tx) => {
        await tx`SELECT pg_notify('hub_alert_change', ${JSON.stringify({ id: 'ghost', communityId: 'c1', type: 'fire_alarm', hub: 'hub-a' })})`;
        throw new Error('fenced: lease lost');
      })
      .catch(() => {});
    await writeAlertAsOwner(owner, alert({ id: 'marker', deviceId: 'dev-marker', communityId: 'c2' }), 'hub-c');
    await waitFor(() => ids().includes('marker:open'), { timeoutMs: 5000, what: 'the marker alert' });
    expect(ids().filter((x) => x.startsWith('a1:')).at(-1)).toBe('a1:acknowledged');
    expect(ids().some((x) => x.startsWith('own:') || x.startsWith('ghost:'))).toBe(false);
    expect(heard.find((a) => a.id === 'a1' && a.state === 'acknowledged')?.acknowledgedBy).toBe('op');
  });

  it('refuses notices not of the documented shape, by reason', async () => {
    expect(parseNotice('{')).toBe('not_json');
    expect(parseNotice('{"id":"x"}')).toBe('bad_shape');
    expect(parseNotice('{"id":"x","communityId":"c1","type":"t","hub":"h"}')).toEqual({ id: 'x', communityId: 'c1', type: 't', hub: 'h' });
    await owner`SELECT pg_notify('hub_alert_change', 'not json')`;
    await owner`SELECT pg_notify('hub_alert_change', '{"id":1}')`;
    await waitFor(() => feed.refused.get('bad_shape') === 1 && feed.refused.get('not_json') === 1, { timeoutMs: 5000, what: 'the refusals counted' });
  });

  it('after its connection drops, re-listens and resends the rows changed while it could not hear', async () => {
    // a change whose notice is lost (written with no listener able to hear it)
    await writeAlertAsOwner(owner, alert({ id: 'missed', deviceId: 'dev-missed', communityId: 'c1' }), 'hub-a', { notify: false });
    await owner`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query ILIKE 'listen%' AND pid <> pg_backend_pid()`;
    await waitFor(() => ids().includes('missed:open'), { timeoutMs: 20_000, what: 'the resync after the reconnect' });
    // and listens again
    await writeAlertAsOwner(owner, alert({ id: 'after', deviceId: 'dev-after', communityId: 'c1' }), 'hub-a');
    await waitFor(() => ids().includes('after:open'), { timeoutMs: 10_000, what: 'a change after the reconnect' });
  });

  it('after PostgreSQL itself restarts (down past the connect timeout), listens again', async () => {
    await pg.stop();
    // down longer than the client's connect timeout (10 s)
    await new Promise((r) => setTimeout(r, 13_000));
    await pg.start();
    await waitFor(async () => (await owner`SELECT 1 AS ok`.catch(() => []))[0]?.ok === 1, { timeoutMs: 20_000, what: 'PostgreSQL back' });
    await writeAlertAsOwner(owner, alert({ id: 'noticed-after-restart', communityId: 'c1' }), 'hub-a');
    await waitFor(() => ids().includes('noticed-after-restart:open'), { timeoutMs: 30_000, what: 'a change noticed after the restart' });
  }, 60_000);

  it('reads the shared table for GET /api/alerts: get, unresolved, filtered lists newest first', async () => {
    const reads = new PgAlertReads(owner);
    await writeAlertAsOwner(owner, alert({ id: 'r1', deviceId: 'dev-r1', communityId: 'c5', state: 'resolved', openedAt: 10 }), 'hub-a');
    await writeAlertAsOwner(owner, alert({ id: 'r2', deviceId: 'dev-r2', communityId: 'c5', state: 'resolved', openedAt: 20 }), 'hub-c');
    expect((await reads.get('r1'))?.communityId).toBe('c5');
    expect(await reads.get('nope')).toBeUndefined();
    expect((await reads.list({ state: 'resolved', communityId: 'c5' })).map((a) => a.id)).toEqual(['r2', 'r1']);
    expect((await reads.list({ state: 'resolved', communityId: 'c5', limit: 1 })).map((a) => a.id)).toEqual(['r2']);
    expect((await reads.unresolved()).every((a) => a.state !== 'resolved')).toBe(true);
    expect((await reads.unresolved()).map((a) => a.id)).toContain('marker');
  });
});
