import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../server/src/hub.ts';
import { authedFetch } from '../helpers/auth.ts';
import { startHub } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import { scopeConfigFile, seed, type AccountName, type Seeded } from './fuzz-helpers.ts';

interface Rejected {
  total: number;
  byReason: Record<string, number>;
  recent: { topic: string; sample: string; reason: string }[];
}
interface GridAnswer {
  communities: { id: string; controlRoom: { lead: unknown }; cells: { id: string; workers: { id: string }[]; buildings: { id: string }[] }[] }[];
}

describe('scope: rejected messages and the grid are filtered to the caller', () => {
  let hub: Hub;
  let s: Seeded;
  const as = (who: AccountName | 'admin') => authedFetch(who === 'admin' ? s.admin.token : s.tokens[who]);

  beforeAll(async () => {
    hub = await startHub({ configFile: scopeConfigFile() });
    s = await seed(hub);
    const client = await mqtt.connectAsync(hub.mqttUrl, { ...s.admin.gateway, clientId: s.admin.gateway.username, reconnectPeriod: 0 });
    const bad = (marker: string) => JSON.stringify({ battery_pct: `secret-${marker}` });
    await client.publishAsync('community/c1/smoke/s1/telemetry', bad('c1'), { qos: 1 });
    await client.publishAsync('community/c2/smoke/s3/telemetry', bad('c2'), { qos: 1 });
    // No community can be read from this topic.
    await client.publishAsync('community/c1/smoke', bad('short'), { qos: 1 });
    // A c1 device under c2's topic concerns both communities.
    await client.publishAsync('community/c2/smoke/s1/telemetry', bad('cross'), { qos: 1 });
    await client.endAsync();
    await waitFor(
      () => {
        const seen = hub.rejects.recent(1000).map((r) => r.sample).join();
        return ['c1', 'c2', 'short', 'cross'].every((m) => seen.includes(`secret-${m}`)) || undefined;
      },
      { what: 'the four rejected messages' },
    );
  });
  afterAll(async () => hub?.stop());

  const rejected = async (who: AccountName | 'admin') => {
    const res = await as(who)(`${hub.httpUrl}/api/ingest/rejected`);
    expect(res.status, who).toBe(200);
    const body = (await res.json()) as Rejected;
    return { body, samples: [...new Set(body.recent.map((r) => /secret-(\w+)/.exec(r.sample)?.[1]).filter(Boolean))].sort() };
  };

  it('an operator of c2 sees c2 rejects only, with counts over those alone', async () => {
    const { body, samples } = await rejected('op2');
    expect(samples).toEqual(['c2']);
    expect(body.total).toBe(body.recent.length);
    expect(Object.values(body.byReason).reduce((a, b) => a + b, 0)).toBe(body.recent.length);
  });

  it('an operator of c1 sees c1 rejects only', async () => {
    expect((await rejected('op1')).samples).toEqual(['c1']);
  });

  it('rejects without a readable community, or spanning communities, go to all-scope users only', async () => {
    expect((await rejected('opAll')).samples).toEqual(['c1', 'c2', 'cross', 'short']);
    expect((await rejected('admin')).samples).toEqual(['c1', 'c2', 'cross', 'short']);
    expect((await rejected('admin')).body.total).toBe(hub.rejects.total());
  });

  it('viewers and workers may not read rejected messages at all', async () => {
    for (const who of ['viewer2', 'worker1'] as const) expect((await as(who)(`${hub.httpUrl}/api/ingest/rejected`)).status, who).toBe(403);
  });

  const grid = async (who: AccountName | 'admin') => {
    const res = await as(who)(`${hub.httpUrl}/api/grid`);
    expect(res.status, who).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text) as GridAnswer;
    const shape = Object.fromEntries(body.communities.map((c) => [c.id, c.cells.map((cell) => `${cell.id}:${cell.workers.map((w) => w.id).join(',')}:${cell.buildings.map((b) => b.id).join(',')}`)]));
    return { text, shape };
  };

  it('a worker sees their own cell: its buildings and people, no other cell, no other phone numbers', async () => {
    const w1 = await grid('worker1');
    expect(w1.shape).toEqual({ c1: ['g1:w1:b1'] });
    for (const phone of ['13800000002', '13800000003', '13800000006']) expect(w1.text).not.toContain(phone);
    const w3 = await grid('worker3');
    expect(w3.shape).toEqual({ c2: ['g3:w3:b3'] });
    for (const phone of ['13800000001', '13800000002', '13800000004', '13800000005']) expect(w3.text).not.toContain(phone);
  });

  it('operators and viewers see their communities whole; admins and all-scope operators see everything', async () => {
    expect((await grid('op1')).shape).toEqual({ c1: ['g1:w1:b1', 'g2:w2:b2'] });
    expect((await grid('viewer2')).shape).toEqual({ c2: ['g3:w3:b3'] });
    expect((await grid('op2')).text).not.toContain('13800000001');
    const all = { c1: ['g1:w1:b1', 'g2:w2:b2'], c2: ['g3:w3:b3'] };
    expect((await grid('opAll')).shape).toEqual(all);
    expect((await grid('admin')).shape).toEqual(all);
  });
});
