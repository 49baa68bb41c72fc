import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiveConnection, backoffDelay, wsUrl } from '../../dashboard/src/lib/live.ts';
import { Api, ApiError } from '../../dashboard/src/lib/api.ts';

class FakeSocket {
  static all: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  // as a browser's: every close has a code (1006 for a drop)
  onclose: ((e: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  close(code = 1006) {
    this.closed = true;
    this.onclose?.({ code });
  }
  open() {
    this.onopen?.();
  }
  send(data: string) {
    this.onmessage?.({ data });
  }
}

afterEach(() => {
  vi.useRealTimers();
  FakeSocket.all = [];
});

describe('LiveConnection', () => {
  it('backs off exponentially with jitter, capped', () => {
    expect(backoffDelay(0, 500, 15000, () => 0)).toBe(250);
    expect(backoffDelay(0, 500, 15000, () => 1)).toBe(500);
    expect(backoffDelay(3, 500, 15000, () => 1)).toBe(4000);
    expect(backoffDelay(20, 500, 15000, () => 1)).toBe(15000);
    expect(wsUrl({ protocol: 'https:', host: 'h:1' })).toBe('wss://h:1/ws');
    expect(wsUrl({ protocol: 'http:', host: 'h' })).toBe('ws://h/ws');
  });

  it('stops reconnecting and says so when the hub ends access (LIVE_CLOSE codes)', () => {
    vi.useFakeTimers();
    for (const code of [4401, 4403, 4410]) {
      FakeSocket.all = [];
      const ended: number[] = [];
      const statuses: string[] = [];
      const live = new LiveConnection({ url: 'ws://x/ws', WebSocketImpl: FakeSocket as unknown as typeof WebSocket, onMessage: () => {}, onAccessEnded: (c) => ended.push(c), onStatus: (s) => statuses.push(s), minDelayMs: 100 });
      live.start();
      FakeSocket.all[0]!.open();
      FakeSocket.all[0]!.close(code);
      vi.advanceTimersByTime(60_000);
      expect(FakeSocket.all).toHaveLength(1);
      expect(ended).toEqual([code]);
      expect(statuses.at(-1)).toBe('down');
    }
  });

  it('reconnects after a drop, reports the hub down meanwhile, and asks for a resync', () => {
    vi.useFakeTimers();
    const statuses: string[] = [];
    const opens: boolean[] = [];
    const msgs: unknown[] = [];
    const live = new LiveConnection({
      url: 'ws://x/ws',
      WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
      onMessage: (m) => msgs.push(m),
      onOpen: (first) => opens.push(first),
      onStatus: (s) => statuses.push(s),
      random: () => 1,
      minDelayMs: 100,
      maxDelayMs: 1000,
    });
    live.start();
    FakeSocket.all[0]!.open();
    FakeSocket.all[0]!.send(JSON.stringify({ type: 'alert', alert: { id: 'a1' } }));
    FakeSocket.all[0]!.send('not json');
    FakeSocket.all[0]!.send(JSON.stringify({ no: 'type' }));
    expect(msgs).toEqual([{ type: 'alert', alert: { id: 'a1' } }]);

    FakeSocket.all[0]!.close(); // network blip
    expect(live.status).toBe('down');
    vi.advanceTimersByTime(100);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.all[1]!.close(); // still down: next delay doubles
    vi.advanceTimersByTime(150);
    expect(FakeSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(60);
    expect(FakeSocket.all).toHaveLength(3);
    FakeSocket.all[2]!.open();
    expect(opens).toEqual([true, false]);
    expect(statuses).toEqual(['connecting', 'open', 'down', 'down', 'open']);
    live.stop();
    expect(FakeSocket.all[2]!.closed).toBe(true);
    vi.advanceTimersByTime(10_000);
    expect(FakeSocket.all).toHaveLength(3);
  });

  it('retryNow skips the wait', () => {
    vi.useFakeTimers();
    const live = new LiveConnection({
      url: 'ws://x/ws',
      WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
      onMessage: () => {},
      minDelayMs: 5000,
    });
    live.start();
    FakeSocket.all[0]!.close();
    live.retryNow();
    expect(FakeSocket.all).toHaveLength(2);
    live.stop();
  });
});

describe('Api', () => {
  function fakeFetch(routes: Record<string, [number, unknown]>) {
    const calls: { url: string; init: RequestInit }[] = [];
    const f = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      const key = `${init.method} ${url.split('?')[0]}`;
      const [status, body] = routes[key] ?? [404, { error: 'NOT_FOUND', message: 'nope' }];
      return new Response(body === undefined ? null : JSON.stringify(body), { status });
    }) as unknown as typeof fetch;
    return { f, calls };
  }

  it('reads {alerts:[...]}, sends same-origin credentials and query filters', async () => {
    const { f, calls } = fakeFetch({ 'GET /api/alerts': [200, { alerts: [{ id: 'a' }] }] });
    const api = new Api({ fetch: f });
    expect(await api.alerts({ state: 'open', gridCellId: 'g1' })).toEqual([{ id: 'a' }]);
    expect(calls[0]!.url).toBe('/api/alerts?state=open&gridCellId=g1');
    expect(calls[0]!.init.credentials).toBe('same-origin');
  });

  it('posts ack, assign and resolve bodies and unwraps {alert}', async () => {
    const { f, calls } = fakeFetch({
      'POST /api/alerts/a%2F1/ack': [200, { alert: { id: 'a/1', state: 'acknowledged' } }],
      'POST /api/alerts/x/assign': [200, { alert: { id: 'x', assignee: 'li' } }],
      'POST /api/alerts/x/resolve': [200, { alert: { id: 'x', state: 'resolved' } }],
    });
    const api = new Api({ fetch: f });
    expect((await api.ack('a/1')).state).toBe('acknowledged');
    expect((await api.assign('x', 'li')).assignee).toBe('li');
    expect((await api.resolve('x', '已处理')).state).toBe('resolved');
    expect(JSON.parse(String(calls[1]!.init.body))).toEqual({ assignee: 'li' });
    expect(JSON.parse(String(calls[2]!.init.body))).toEqual({ note: '已处理' });
  });

  it('reports 401 to the app (login screen) and marks 404 as missing', async () => {
    let lost = 0;
    const { f } = fakeFetch({ 'GET /api/devices': [401, { error: 'UNAUTHORIZED', message: 'log in' }] });
    const api = new Api({ fetch: f, onUnauthorized: () => lost++ });
    const err = await api.devices().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).unauthorized).toBe(true);
    expect(lost).toBe(1);
    const missing = await api.grid().catch((e: unknown) => e);
    expect((missing as ApiError).missing).toBe(true);
  });

  it('keeps the login token for bearer auth and drops it on logout', async () => {
    const { f, calls } = fakeFetch({
      'POST /api/auth/login': [200, { token: 'tok', user: { username: 'u', role: 'operator' } }],
      'GET /api/auth/me': [200, { user: { username: 'u', role: 'operator' } }],
      'POST /api/auth/logout': [204, undefined],
    });
    const api = new Api({ fetch: f });
    const r = await api.login('u', 'p');
    expect(r.user.role).toBe('operator');
    expect((await api.me()).username).toBe('u');
    expect((calls[1]!.init.headers as Record<string, string>).authorization).toBe('Bearer tok');
    await api.logout();
    await api.me();
    expect((calls[3]!.init.headers as Record<string, string>).authorization).toBeUndefined();
  });

  it('a network failure is an ApiError with status 0', async () => {
    const api = new Api({ fetch: (async () => { throw new TypeError('fetch failed'); }) as unknown as typeof fetch });
    const err = (await api.devices().catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(0);
  });
});
