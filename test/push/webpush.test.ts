import https from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import type { Hub } from '../../server/src/hub.ts';
import { authedFetch, createUser, login } from '../helpers/auth.ts';
import { waitFor } from '../helpers/ports.ts';
import { startDeliveryHub, workerAccount, WORKER_PASSWORD } from './delivery-hub.ts';
import { hasOpenssl, LocalPushService, type TestSubscription } from './push-service.ts';

interface Payload {
  type: string;
  change: string;
  alert: { id: string; title: string; severity: string; state: string; deviceId: string; communityId: string; gridCellId: string; escalationLevel: number; place: { zh: string; en: string } };
  ackUrl: string;
  notification: { title: string; body: string; tag: string };
}

describe.skipIf(!hasOpenssl)('Web Push to workers (RFC 8030/8291/8292) against a local push service', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const clock = { now: Date.now() };
  async function setup() {
    clock.now = Date.now();
    const push = new LocalPushService();
    await push.start();
    cleanups.push(() => push.stop());
    const hub = await startDeliveryHub({
      pushAgent: push.agent,
      clock: () => clock.now,
      extra: {
        delivery: { publicUrl: 'https://hub.example.cn' },
        escalation: { ackDeadlineS: { critical: 60, minor: 60 }, reminderIntervalS: { critical: 30, minor: 30 } },
        communities: [
          {
            id: 'c1',
            name: { zh: '阳光社区', en: 'Sunshine' },
            controlRoom: { lead: 'lead1' },
            cells: [
              { id: 'g1', name: { zh: '一网格', en: 'Cell 1' }, supervisor: 'sup1', workers: ['w1'], buildings: [{ id: 'b1', name: { zh: '3号楼', en: 'Building 3' } }, { id: 'b2' }] },
              { id: 'g2', supervisor: 'sup2', workers: ['w2'], buildings: [{ id: 'b3' }] },
            ],
          },
        ],
      },
    });
    cleanups.push(() => hub.stop());
    return { push, hub };
  }

  async function subscribe(f: (url: string, init?: RequestInit) => Promise<Response>, hub: Hub, sub: TestSubscription): Promise<string> {
    const res = await f(`${hub.httpUrl}/api/push/subscriptions`, { method: 'POST', body: JSON.stringify({ endpoint: sub.endpoint, expirationTime: null, keys: sub.keys }) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  it('serves the VAPID key, keeps each user their own subscriptions, and refuses what is not a subscription', async () => {
    const { push, hub } = await setup();
    const zhang = await workerAccount(hub, 'zhang', 'w1');
    const li = await workerAccount(hub, 'li', 'w2');
    const key = (await (await zhang(`${hub.httpUrl}/api/push/vapid-public-key`)).json()) as { publicKey: string };
    expect(Buffer.from(key.publicKey, 'base64url')).toHaveLength(65);
    expect((await fetch(`${hub.httpUrl}/api/push/vapid-public-key`)).status).toBe(401);

    const id = await subscribe(zhang, hub, push.subscription());
    const mine = (await (await zhang(`${hub.httpUrl}/api/push/subscriptions`)).json()) as { subscriptions: { id: string; endpointOrigin: string }[] };
    expect(mine.subscriptions).toEqual([expect.objectContaining({ id, endpointOrigin: push.origin })]);
    expect(((await (await li(`${hub.httpUrl}/api/push/subscriptions`)).json()) as { subscriptions: unknown[] }).subscriptions).toEqual([]);
    // Not li's to remove; then zhang removes it.
    expect((await li(`${hub.httpUrl}/api/push/subscriptions/${id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await zhang(`${hub.httpUrl}/api/push/subscriptions/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect(((await (await zhang(`${hub.httpUrl}/api/push/subscriptions`)).json()) as { subscriptions: unknown[] }).subscriptions).toEqual([]);

    const good = push.subscription();
    for (const bad of [
      { endpoint: good.endpoint.replace('https:', 'http:'), keys: good.keys },
      { endpoint: good.endpoint, keys: { ...good.keys, p256dh: Buffer.alloc(33).toString('base64url') } },
      { endpoint: good.endpoint, keys: { ...good.keys, auth: 'abc' } },
      { endpoint: 'not a url', keys: good.keys },
    ]) {
      const res = await zhang(`${hub.httpUrl}/api/push/subscriptions`, { method: 'POST', body: JSON.stringify(bad) });
      expect(res.status).toBe(400);
    }
    // The key pair is kept in DATA_DIR: the same after a restart.
    const dataDir = hub.config.dataDir;
    await hub.stop();
    cleanups.pop();
    const again = await startDeliveryHub({ dataDir, pushAgent: push.agent });
    cleanups.push(() => again.stop());
    const admin = authedFetch(await login(again.httpUrl));
    expect(((await (await admin(`${again.httpUrl}/api/push/vapid-public-key`)).json()) as { publicKey: string }).publicKey).toBe(key.publicKey);
  });

  it('pushes an encrypted, VAPID-signed message to the cell worker on opening, with Urgency high and a short TTL for critical; none to other cells', async () => {
    const { push, hub } = await setup();
    const zhang = await workerAccount(hub, 'zhang', 'w1');
    const li = await workerAccount(hub, 'li', 'w2');
    const zSub = push.subscription();
    const zSub2 = push.subscription();
    const lSub = push.subscription();
    await subscribe(zhang, hub, zSub);
    await subscribe(zhang, hub, zSub2);
    await subscribe(li, hub, lSub);
    const vapid = ((await (await zhang(`${hub.httpUrl}/api/push/vapid-public-key`)).json()) as { publicKey: string }).publicKey;

    const alert = hub.alerts.signal(hub.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
    await waitFor(() => push.received.length >= 2 || undefined, { what: 'pushes to both of zhang’s browsers' });
    expect(push.refused).toEqual([]);
    expect(new Set(push.received.map((p) => p.subscriptionId))).toEqual(new Set([zSub.id, zSub2.id]));
    const p = push.received[0]!;
    expect(p.vapid.publicKey).toBe(vapid);
    expect(p.headers).toMatchObject({ urgency: 'high', contentEncoding: 'aes128gcm' });
    expect(p.headers.ttl).toBeGreaterThan(0);
    expect(p.headers.ttl).toBeLessThanOrEqual(300);
    const body = p.body as Payload;
    expect(body).toMatchObject({ type: 'alert', change: 'opened', alert: { id: alert.id, severity: 'critical', state: 'open', deviceId: 's1', communityId: 'c1', gridCellId: 'g1', escalationLevel: 0 } });
    expect(body.alert.place.zh).toContain('3号楼');
    expect(body.alert.place.zh).toContain('3层');
    expect(body.alert.place.en).toContain('Building 3');
    expect(body.ackUrl).toMatch(new RegExp(`^https://hub\\.example\\.cn/ack/${alert.id}\\?t=`));
    expect(body.notification.tag).toBe(`alert-${alert.id}`);
    expect(body.notification.title).toContain('紧急');

    // The history says it was queued and sent, via which channel, to whom.
    await waitFor(() => hub.alerts.get(alert.id)!.history.some((h) => h.action === 'delivery_sent') || undefined, { what: 'a delivery_sent entry' });
    const history = hub.alerts.get(alert.id)!.history;
    expect(history.find((h) => h.action === 'delivery_queued')?.detail).toMatchObject({ change: 'opened', channels: { webpush: ['张伟'] } });
    expect(history.find((h) => h.action === 'delivery_sent')?.detail).toMatchObject({ channel: 'webpush', to: ['张伟'] });
    await new Promise((r) => setTimeout(r, 300));
    expect(push.received.filter((r) => r.subscriptionId === lSub.id)).toEqual([]);

    const health = (await (await fetch(`${hub.httpUrl}/healthz`)).json()) as { delivery: Record<string, { status: string; sent: number }> };
    expect(health.delivery.webpush).toMatchObject({ status: 'ok', sent: 1, pending: 0 });
    const metrics = await (await fetch(`${hub.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/hub_people_deliveries_total\{channel="webpush",outcome="sent"\} 1/);
  });

  it('pushes again on every reminder and escalation, with the same tag', async () => {
    const { push, hub } = await setup();
    const zhang = await workerAccount(hub, 'zhang', 'w1');
    const wang = await workerAccount(hub, 'wang', 'sup1', { role: 'worker' });
    const zSub = push.subscription();
    const wSub = push.subscription();
    await subscribe(zhang, hub, zSub);
    await subscribe(wang, hub, wSub);
    const alert = hub.alerts.signal(hub.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
    await waitFor(() => push.received.some((p) => p.subscriptionId === zSub.id) || undefined, { what: 'the first push' });
    clock.now += 31_000;
    hub.alerts.tick();
    await waitFor(() => push.received.filter((p) => p.subscriptionId === zSub.id).length === 2 || undefined, { what: 'the reminder push' });
    const reminder = push.received.filter((p) => p.subscriptionId === zSub.id)[1]!.body as Payload;
    expect(reminder).toMatchObject({ change: 'reminded', alert: { escalationLevel: 0 } });
    expect(reminder.notification.tag).toBe(`alert-${alert.id}`);
    // Past the deadline: the escalation goes to the supervisor (level 1).
    clock.now += 30_000;
    hub.alerts.tick();
    await waitFor(() => push.received.some((p) => p.subscriptionId === wSub.id) || undefined, { what: 'the escalation push to the supervisor' });
    const esc = push.received.find((p) => p.subscriptionId === wSub.id)!.body as Payload;
    expect(esc).toMatchObject({ change: 'escalated', alert: { escalationLevel: 1 } });
    expect(esc.notification.tag).toBe(`alert-${alert.id}`);
  });

  it('prunes a subscription the push service says is gone (410), and retries one whose push service is down', async () => {
    const { push, hub } = await setup();
    const zhang = await workerAccount(hub, 'zhang', 'w1');
    const gone = push.subscription();
    const down = push.subscription();
    await subscribe(zhang, hub, gone);
    await subscribe(zhang, hub, down);
    push.answer.set(gone.id, 410);
    push.answer.set(down.id, 503);
    const alert = hub.alerts.signal(hub.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
    await waitFor(() => hub.people.subscriptions.list('zhang').length === 1 || undefined, { what: 'the gone subscription pruned' });
    expect(hub.people.subscriptions.list('zhang')[0]!.endpoint).toBe(down.endpoint);
    await waitFor(() => hub.alerts.get(alert.id)!.history.some((h) => h.action === 'delivery_failed' && h.detail?.retrying === true) || undefined, { what: 'a failure recorded' });
    const failing = (await (await fetch(`${hub.httpUrl}/healthz`)).json()) as { delivery: Record<string, { status: string; pending: number; lastError: string }> };
    expect(failing.delivery.webpush).toMatchObject({ status: 'failing', pending: 1 });
    expect(failing.delivery.webpush!.lastError).toContain('503');
    push.answer.delete(down.id);
    // The backoff runs on the hub's clock.
    await waitFor(() => (clock.now += 250) && push.received.some((p) => p.subscriptionId === down.id) || undefined, { what: 'the retried push', timeoutMs: 5000 });
    await waitFor(() => hub.alerts.get(alert.id)!.history.some((h) => h.action === 'delivery_sent') || undefined, { what: 'sent after retry' });
    expect(push.received).toHaveLength(1);
  });

  it('never pushes to an account whose scope does not hold the alert', async () => {
    const { push, hub } = await setup();
    const admin = await login(hub.httpUrl);
    // The control-room lead's account watches another community only.
    await createUser(hub.httpUrl, admin, { username: 'chen', password: WORKER_PASSWORD, role: 'operator', workerId: 'lead1', communities: ['c9'] });
    const chen = authedFetch(await login(hub.httpUrl, { username: 'chen', password: WORKER_PASSWORD }));
    const sub = push.subscription();
    await subscribe(chen, hub, sub);
    const alert = hub.alerts.signal(hub.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
    clock.now += 61_000;
    hub.alerts.tick();
    clock.now += 61_000;
    hub.alerts.tick();
    expect(hub.alerts.get(alert.id)!.escalationLevel).toBe(2);
    await waitFor(() => hub.alerts.get(alert.id)!.history.some((h) => h.action === 'delivery_failed') || undefined, { what: 'the out-of-scope delivery refused' });
    expect(push.received).toEqual([]);
  });

  it('a minor alert goes with normal urgency and a longer TTL', async () => {
    const { push, hub } = await setup();
    const zhang = await workerAccount(hub, 'zhang', 'w1');
    await subscribe(zhang, hub, push.subscription());
    hub.alerts.signal(hub.registry.get('s1')!, { type: 'low_battery', action: 'event' });
    await waitFor(() => push.received.length === 1 || undefined, { what: 'the push' });
    expect(push.received[0]!.headers.urgency).toBe('normal');
    expect(push.received[0]!.headers.ttl).toBeGreaterThan(300);
  });
});

describe.skipIf(!hasOpenssl)('the local push service itself', () => {
  it('refuses a body that does not decrypt with the subscription keys and a JWT that does not verify', async () => {
    const push = new LocalPushService();
    await push.start();
    try {
      const sub = push.subscription();
      const other = push.subscription();
      const keys = webpush.generateVAPIDKeys();
      const opts = { vapidDetails: { subject: 'mailto:test@example.cn', ...keys }, TTL: 60, agent: push.agent };
      // Encrypted for another browser's keys.
      await expect(webpush.sendNotification({ endpoint: sub.endpoint, keys: other.keys }, '{}', opts)).rejects.toMatchObject({ statusCode: 400 });
      // Signed with one key, claiming another.
      const headers = webpush.getVapidHeaders(push.origin, 'mailto:test@example.cn', keys.publicKey, keys.privateKey, 'aes128gcm');
      const forged = headers.Authorization.replace(/k=.*/, `k=${webpush.generateVAPIDKeys().publicKey}`);
      const res = await new Promise<number>((resolve, reject) => {
        const req = https.request(sub.endpoint, { method: 'POST', agent: push.agent, headers: { authorization: forged, 'content-encoding': 'aes128gcm', ttl: '60' } }, (r) => resolve(r.statusCode!));
        req.on('error', reject);
        req.end(Buffer.alloc(100));
      });
      expect(res).toBe(400);
      expect(push.refused.map((r) => r.error)).toEqual([expect.stringMatching(/unable to authenticate|Unsupported state/i), expect.stringContaining('signature')]);
      expect(push.received).toEqual([]);
    } finally {
      await push.stop();
    }
  });
});
