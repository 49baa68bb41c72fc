import fs from 'node:fs';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import type { Alert } from '#devices';
import { authedFetch, login, openLive } from '../helpers/auth.ts';
import type { HubProcess } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import { startCluster, waitForShare, type Cluster } from '../helpers/cluster.ts';

/**
 * Issue 20: an acknowledgement on hub A of an alert whose community hub B holds takes effect
 * once and is seen by both; a command left pending by a holder that died is applied by the next.
 */
describe('alert commands across hubs', () => {
  let cluster: Cluster;
  let holder: HubProcess;
  let other: HubProcess;
  const hubs = new Map<string, HubProcess>();
  beforeAll(async () => {
    cluster = await startCluster('alert_commands', 2);
    for (const i of [0, 1]) hubs.set(`hub-${i}`, await cluster.startHub(i));
    const share = await waitForShare(cluster, ['hub-0', 'hub-1']);
    holder = hubs.get(share.get('c1')!)!;
    other = [...hubs.values()].find((h) => h !== holder)!;
  }, 180_000);
  afterAll(async () => {
    if (process.env.CLUSTER_LOGS) for (const [i, h] of cluster.hubs.entries()) fs.writeFileSync(`/tmp/commands-hub${i}.log`, h?.output() ?? '');
    await cluster?.stop();
  });

  /** An alarm of a new smoke detector in c1, as every hub's API lists it. */
  async function alarm(deviceId: string, via: HubProcess[]): Promise<Alert> {
    const client = await mqtt.connectAsync(cluster.mosquitto.url, { clientId: `${deviceId}-pub`, clean: true });
    await client.publishAsync(`community/c1/smoke/${deviceId}/event`, JSON.stringify({ type: 'alarm' }), { qos: 1 });
    await client.endAsync();
    let found: Alert | undefined;
    for (const hub of via) {
      found = await waitFor(async () => (await cluster.alertsVia(hub)).find((a) => a.deviceId === deviceId), { timeoutMs: 20_000, intervalMs: 200, what: `${deviceId}'s alert on ${hub.httpUrl}` });
    }
    return found!;
  }

  const acks = (a: Alert) => a.history.filter((h) => h.action === 'acknowledged');

  it('acknowledged on the hub that does not hold the community: once, the same answer, seen live on both', async () => {
    const token = await login(other.httpUrl);
    const f = authedFetch(token);
    const opened = await alarm('cmd-ack-1', [holder, other]);
    const heard = new Map<HubProcess, Alert[]>();
    const sockets: WebSocket[] = [];
    for (const hub of [holder, other]) {
      const ws = await openLive(hub.httpUrl, token);
      sockets.push(ws);
      heard.set(hub, []);
      ws.on('message', (raw) => {
        const msg = JSON.parse(raw.toString()) as { type: string; alert?: Alert };
        if (msg.type === 'alert' && msg.alert!.id === opened.id) heard.get(hub)!.push(msg.alert!);
      });
    }

    const post = (key?: string) => f(`${other.httpUrl}/api/alerts/${opened.id}/ack`, { method: 'POST', ...(key ? { headers: { 'idempotency-key': key } } : {}) });
    const sentAt = performance.now();
    const first = await post('ack-key-0001');
    expect(first.status).toBe(200);
    console.log(`forwarded acknowledgement answered in ${Math.round(performance.now() - sentAt)} ms (under load)`);
    const answer = ((await first.json()) as { alert: Alert }).alert;
    expect(answer).toMatchObject({ id: opened.id, state: 'acknowledged', acknowledgedBy: 'admin' });
    // A retry with the same key reads the first answer; one without a key finds it acknowledged (as on one hub).
    const replay = await post('ack-key-0001');
    expect(replay.status).toBe(200);
    expect(((await replay.json()) as { alert: Alert }).alert.acknowledgedAt).toBe(answer.acknowledgedAt);
    const again = await post();
    expect(again.status).toBe(200);
    expect(((await again.json()) as { alert: Alert }).alert.acknowledgedAt).toBe(answer.acknowledgedAt);
    // And on the holder itself.
    expect((await f(`${holder.httpUrl}/api/alerts/${opened.id}/ack`, { method: 'POST' })).status).toBe(200);

    for (const hub of [holder, other]) {
      const read = ((await (await f(`${hub.httpUrl}/api/alerts/${opened.id}`)).json()) as { alert: Alert }).alert;
      expect(read.state).toBe('acknowledged');
      expect(acks(read)).toHaveLength(1);
      await waitFor(() => heard.get(hub)!.some((a) => a.state === 'acknowledged'), { timeoutMs: 10_000, what: `the acknowledgement live on ${hub.httpUrl}` });
    }
    const rows = await cluster.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM alert_commands WHERE alert_id = ${opened.id}`;
    // the keyed command once, the unkeyed retry once
    expect(rows[0]!.n).toBe(2);
    for (const ws of sockets) ws.close();
  }, 90_000);

  it('answers as the holder would: 404, 409 after a resolve, 400 without a note, assign', async () => {
    const token = await login(other.httpUrl);
    const f = authedFetch(token);
    const opened = await alarm('cmd-resolve-1', [holder, other]);
    const on = (hub: HubProcess, action: string, body?: unknown) =>
      f(`${hub.httpUrl}/api/alerts/${opened.id}/${action}`, { method: 'POST', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });

    const assigned = await on(other, 'assign', { assignee: 'w-zhang' });
    expect(assigned.status).toBe(200);
    expect(((await assigned.json()) as { alert: Alert }).alert.assignee).toBe('w-zhang');
    expect((await on(other, 'resolve', { note: '  ' })).status).toBe(400);
    const resolved = await on(other, 'resolve', { note: 'false alarm: cooking' });
    expect(resolved.status).toBe(200);
    expect(((await resolved.json()) as { alert: Alert }).alert).toMatchObject({ state: 'resolved', resolvedBy: 'admin' });
    // Resolving twice: the same refusal from either hub.
    const [viaOther, viaHolder] = await Promise.all([on(other, 'resolve', { note: 'again' }), on(holder, 'resolve', { note: 'again' })]);
    expect([viaOther.status, viaHolder.status]).toEqual([409, 409]);
    expect(await viaOther.json()).toEqual(await viaHolder.json());
    expect((await f(`${other.httpUrl}/api/alerts/a-none/ack`, { method: 'POST' })).status).toBe(404);
    const read = ((await (await f(`${holder.httpUrl}/api/alerts/${opened.id}`)).json()) as { alert: Alert }).alert;
    expect(read.history.filter((h) => h.action === 'resolved')).toHaveLength(1);
    expect(read.history.filter((h) => h.action === 'assigned')).toHaveLength(1);
  }, 90_000);

  it('a command pending when the holder is killed is applied by the next holder, once', async () => {
    const token = await login(other.httpUrl);
    const f = authedFetch(token);
    const opened = await alarm('cmd-failover-1', [holder, other]);
    await holder.kill('SIGKILL');
    const key = 'failover-ack-0001';
    const post = () => f(`${other.httpUrl}/api/alerts/${opened.id}/ack`, { method: 'POST', headers: { 'idempotency-key': key } });
    const answer = post();
    // Nobody applies it while the dead holder's lease runs out.
    const pending = await waitFor(
      async () => (await cluster.sql<{ done_at: number | null }[]>`SELECT done_at FROM alert_commands WHERE alert_id = ${opened.id}`)[0],
      { timeoutMs: 5000, intervalMs: 50, what: 'the forwarded command' },
    );
    expect(pending.done_at).toBeNull();
    // The request waits for the new holder; a loaded machine may take longer than it waits, and then
    // the same key reads the answer the new holder wrote.
    let res = await answer;
    if (res.status === 503) {
      expect(((await res.json()) as { error: string }).error).toBe('HOLDER_DID_NOT_ANSWER');
      res = await waitFor(async () => {
        const r = await post();
        return r.status === 200 ? r : undefined;
      }, { timeoutMs: 30_000, intervalMs: 500, what: 'the new holder\'s answer' });
    }
    expect(res.status).toBe(200);
    expect(((await res.json()) as { alert: Alert }).alert.state).toBe('acknowledged');
    const read = ((await (await f(`${other.httpUrl}/api/alerts/${opened.id}`)).json()) as { alert: Alert }).alert;
    expect(acks(read)).toHaveLength(1);
    const holders = await cluster.holders();
    expect(holders.get('c1')).toBe([...hubs].find(([, h]) => h === other)![0]);
    const rows = await cluster.sql<{ n: number; done: number }[]>`SELECT count(*)::int AS n, count(done_at)::int AS done FROM alert_commands WHERE alert_id = ${opened.id}`;
    expect(rows[0]).toEqual({ n: 1, done: 1 });
  }, 120_000);
});
