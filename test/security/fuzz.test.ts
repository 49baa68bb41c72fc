import net from 'node:net';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KINDS } from '#devices';
import type { Hub } from '../../server/src/hub.ts';
import { buildFleet } from '../../simulators/src/fleet.ts';
import { runSimulation } from '../../simulators/src/run.ts';
import { createRng } from '../../simulators/src/rng.ts';
import { startHub } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import { verifyStored } from '../helpers/traffic.ts';
import { adminSession, type HubSession } from '../helpers/auth.ts';

const received = async (hub: Hub) => (await hub.metrics.messagesReceived.get()).values.reduce((s, v) => s + v.value, 0);

/** Hostile payloads: random bytes, broken and deep JSON, wrong types, prototype tricks, huge and empty. */
function hostilePayload(rnd: () => number, i: number): Buffer | string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  switch (i % 12) {
    case 0: return Buffer.from(Array.from({ length: Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256)));
    case 1: return '{"battery_pct":' + '9'.repeat(Math.floor(rnd() * 400));
    case 2: return '['.repeat(1 + Math.floor(rnd() * 8000));
    case 3: return '{"a":'.repeat(50 + Math.floor(rnd() * 2000)) + '1' + '}'.repeat(50);
    case 4: return JSON.stringify({ __proto__: { polluted: true }, constructor: { prototype: { polluted: true } }, battery_pct: 5 });
    case 5: return JSON.stringify({ ts: pick(['x', -1e308, 1e308, '2026-13-45T99:99', null, {}, []]), seq: pick([-1, 1.5, 'a', 2 ** 60]) });
    case 6: return JSON.stringify({ type: pick(['alarm', '<script>alert(1)</script>', '', 'x'.repeat(1000)]), note: '<img src=x onerror=alert(1)>' });
    case 7: return 'x'.repeat(16 * 1024 + Math.floor(rnd() * 4096));
    case 8: return '';
    case 9: return JSON.stringify({ temperature_c: pick([NaN, 'hot', true, null, [1], { v: 1 }]), battery_pct: pick([101, -1, '50', 1e400]) });
    case 10: return pick(['online', 'offline', '"online"', '{"state":"maybe"}', '\u0000', 'null', 'true', '1']);
    default: return '\uFEFF{"battery_pct":50}\u0000\uD800';
  }
}

function hostileTopic(rnd: () => number, i: number): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const id = Math.floor(rnd() * 500);
  const kind = rnd() < 0.8 ? KINDS[i % KINDS.length]! : ['toaster', 'alert', '..', 'SMOKE'][i % 4]!;
  const channel = ['telemetry', 'event', 'status'][i % 3]!;
  switch (i % 7) {
    case 0: return `community/fz/${kind}/fz-${id}/${pick(['cmd', 'Telemetry', channel])}/extra`;
    case 1: return `community/fz/${kind}/bad id ${id}/${channel}`;
    case 2: return `community//${kind}//${channel}`;
    case 3: return `community/fz/${kind}/${'x'.repeat(100)}/${channel}`;
    default: return `community/fz/${kind}/fz-${id}/${channel}`;
  }
}

describe('fuzz: hostile MQTT payloads and HTTP requests', () => {
  let hub: Hub;
  let s: HubSession;
  beforeAll(async () => {
    hub = await startHub({ httpRateLimit: 1_000_000, loginRateLimit: 1_000_000 });
    s = await adminSession(hub.httpUrl);
  });
  afterAll(async () => hub?.stop());

  it('100,000 random or malformed MQTT payloads: no crash, valid traffic alongside stored intact', async () => {
    const rnd = createRng(42);
    const before = await received(hub);
    const fuzzer = await mqtt.connectAsync(hub.mqttUrl, { ...s.gateway, clientId: 'fuzzer', reconnectPeriod: 0 });
    let dropped = false;
    fuzzer.on('close', () => (dropped = true));
    const fleet = buildFleet({ devices: 50, seed: 11, idPrefix: 'fzv' });
    const valid = runSimulation({ mqttUrl: hub.mqttUrl, devices: fleet, rate: 400, qos: 1, count: 2000, record: true, ...s.gateway });
    const N = 100_000;
    for (let i = 0; i < N; i++) {
      fuzzer.publish(hostileTopic(rnd, i), hostilePayload(rnd, i), { qos: 0 });
      if (i % 2000 === 1999) await new Promise((r) => setImmediate(r));
    }
    const summary = await valid;
    expect(dropped).toBe(false);
    await fuzzer.endAsync();
    expect(summary.acked).toBe(2000);
    let seen = 0;
    await waitFor(async () => (seen = (await received(hub)) - before) >= N + 2000 || undefined, { what: 'every message seen', timeoutMs: 90_000 }).catch((err: Error) => {
      throw new Error(`${err.message}: ${seen} of ${N + 2000}`);
    });
    expect(await verifyStored(hub.store, summary.messages!)).toEqual([]);
    expect((await fetch(`${hub.httpUrl}/healthz`)).status).toBe(200);
    const byReason = Object.fromEntries(hub.rejects.counts);
    for (const r of ['unknown_topic', 'bad_id', 'not_json', 'oversized', 'too_deep', 'invalid_payload']) expect(byReason[r], r).toBeGreaterThan(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('10,000 hostile HTTP requests: no 5xx, no crash, the hub still answers', async () => {
    const rnd = createRng(7);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const url = hub.httpUrl;
    const script = '<script>alert(document.cookie)</script>';
    const paths = [
      '/api/devices', '/api/devices/fzv-0001', '/api/devices/%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/api/devices/..%2F..%2Fhub.db/telemetry',
      '/../../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/api/alerts/' + encodeURIComponent(script), '/api/alerts?state=' + encodeURIComponent(script),
      '/api/devices?limit=-1', '/api/devices?limit=1e99&offset=abc', '/api/devices/x/telemetry?from=zzz&every=0', '/api/devices/x/telemetry?field=__proto__',
      '//api//devices', '/api/devices/%00', '/api/devices/%E0%A4%A', '/api/%', '/api/users', '/api/users/admin', '/api/audit?limit=0',
      '/api/auth/login', '/api/auth/setup', '/api/mqtt/gateways', '/api/alerts/a-1/resolve', '/api/alerts/a-1/assign', '/ws', '/metrics', '/healthz',
      '/' + 'a'.repeat(4000), '/api/devices?' + 'q='.repeat(500), '/index.html', '/assets/../../package.json',
    ];
    const bodies = [
      '{', '{"note":', '[]', 'null', '"str"', '{"note":"' + script + '"}', JSON.stringify({ username: script, password: script }),
      JSON.stringify({ __proto__: { admin: true }, username: 'admin', password: 'x' }), '{"id":"x","kind":"smoke","communityId":"c1","extra":' + '['.repeat(500) + ']'.repeat(500) + '}',
      'x'.repeat(70 * 1024), JSON.stringify({ note: 'n'.repeat(200_000) }), '\u0000\uFFFF', JSON.stringify({ id: '../x', kind: 'toaster', communityId: '*' }),
    ];
    const statuses = new Map<number, number>();
    const bad: string[] = [];
    const one = async (i: number) => {
      const method = pick(['GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS', 'HEAD']);
      const path = pick(paths);
      const headers: Record<string, string> = {};
      if (rnd() < 0.6) headers.authorization = rnd() < 0.8 ? `Bearer ${s.token}` : pick(['Bearer ', 'Basic YWRtaW46YWRtaW4=', 'Bearer ' + 'A'.repeat(5000), 'Bearer ../../x']);
      if (rnd() < 0.2) headers.cookie = pick([`hub_session=${s.token}`, 'hub_session=%%%', 'hub_session=' + 'x'.repeat(3000)]);
      const withBody = method !== 'GET' && method !== 'HEAD' && rnd() < 0.8;
      if (withBody) headers['content-type'] = pick(['application/json', 'application/json; charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']);
      if (rnd() < 0.3) headers['x-requested-with'] = 'fetch';
      try {
        const res = await fetch(url + path, { method, headers, ...(withBody ? { body: pick(bodies) } : {}) });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500 && res.status !== 503) bad.push(`${i} ${method} ${path} → ${res.status}`);
        if (res.status < 300 && (res.headers.get('content-type') ?? '').includes('text/html') && path.startsWith('/api/')) bad.push(`${method} ${path} answered HTML`);
      } catch (err) {
        // fetch refuses some URLs itself; a reset by the server would show up as repeated failures below
        statuses.set(-1, (statuses.get(-1) ?? 0) + 1);
        if ((statuses.get(-1) ?? 0) > 50) bad.push(`${method} ${path}: ${(err as Error).message}`);
      }
    };
    const N = 10_000;
    let next = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < N) await one(next++);
    }));
    // A few requests fetch cannot send: raw garbage on the socket.
    for (const raw of ['GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n', 'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n{', '\x16\x03\x01garbage\r\n\r\n', 'GET / HTTP/1.1\r\nHost: x\r\n' + 'X-A: b\r\n'.repeat(2000) + '\r\n']) {
      await new Promise<void>((resolve) => {
        const sock = net.connect(new URL(url).port as unknown as number, '127.0.0.1', () => sock.end(raw));
        sock.on('data', () => {});
        sock.on('close', () => resolve());
        sock.on('error', () => resolve());
        setTimeout(() => sock.destroy(), 2000);
      });
    }
    expect(bad).toEqual([]);
    expect([...statuses.keys()].some((k) => k === 200)).toBe(true);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    // Script in a field comes back as JSON data, never as markup.
    const { alerts } = (await (await s.fetch(`${url}/api/alerts`)).json()) as { alerts: unknown[] };
    expect(Array.isArray(alerts)).toBe(true);
    const create = await s.fetch(`${url}/api/users`, { method: 'POST', body: JSON.stringify({ username: 'fz-user', password: 'long-enough-pw', role: 'viewer', communities: ['c1'], displayName: script }) });
    expect(create.status).toBe(201);
    expect(create.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await create.json()) as { user: { displayName: string } }).user.displayName).toBe(script);
  });
});
