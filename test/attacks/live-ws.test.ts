import net from 'node:net';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../server/src/hub.ts';
import { MAX_LIVE_PER_USER } from '../../server/src/http/routes/live.ts';
import { adminSession, createUser, login, openLive, type HubSession } from '../helpers/auth.ts';
import { startHub } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';

const closed = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

describe('/ws under attack: bad frames, floods, many sockets', () => {
  let hub: Hub;
  let s: HubSession;
  let wsUrl: string;
  beforeAll(async () => {
    hub = await startHub({ httpRateLimit: 1_000_000 });
    s = await adminSession(hub.httpUrl, 'ws-gw');
    wsUrl = `${hub.httpUrl.replace(/^http/, 'ws')}/ws`;
  });
  afterAll(async () => hub?.stop());

  it('a frame over 4 KiB, invalid UTF-8 or a bad opcode closes only that socket; a flood of small ones is ignored', async () => {
    const big = await openLive(hub.httpUrl, s.token);
    const bigClosed = closed(big);
    big.send('x'.repeat(5000));
    expect(await bigClosed).toBe(1009);

    const utf8 = await openLive(hub.httpUrl, s.token);
    const utf8Closed = closed(utf8);
    utf8.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect(await utf8Closed).toBe(1007);

    const chatty = await openLive(hub.httpUrl, s.token);
    for (let i = 0; i < 5000; i++) chatty.send(JSON.stringify({ type: 'subscribe', i, __proto__: { admin: true } }));
    await new Promise((r) => setTimeout(r, 200));
    expect(chatty.readyState).toBe(WebSocket.OPEN);
    chatty.close();

    // A hand-made upgrade, then a frame with a reserved opcode (0x3), masked as clients must.
    const port = Number(new URL(hub.httpUrl).port);
    const answer = await new Promise<string>((resolve) => {
      const sock = net.connect(port, '127.0.0.1', () => {
        sock.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${s.token}\r\n\r\n`);
      });
      let got = '';
      sock.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        if (got.includes('\r\n\r\n') && !got.includes('sent')) {
          got += 'sent';
          sock.write(Buffer.from([0x83, 0x84, 1, 2, 3, 4, 5, 6, 7, 8]));
        }
      });
      sock.on('close', () => resolve(got));
      sock.on('error', () => resolve(got));
      setTimeout(() => sock.destroy(), 5000);
    });
    expect(answer).toMatch(/^HTTP\/1.1 101/);
    expect((await fetch(`${hub.httpUrl}/healthz`)).status).toBe(200);
  });

  it('without a session, or from a foreign page, the upgrade is refused', async () => {
    const refuse = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(wsUrl, { headers });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('open', () => resolve(101));
        ws.once('error', () => {});
      });
    expect(await refuse({})).toBe(401);
    expect(await refuse({ authorization: 'Bearer not-a-token' })).toBe(401);
    expect(await refuse({ cookie: `hub_session=${s.token}`, origin: 'https://evil.example' })).toBe(403);
    // A plain GET is a JSON error, not an upgrade.
    const plain = await s.fetch(wsUrl.replace(/^ws/, 'http'));
    expect(plain.status).toBe(426);
    expect(await plain.json()).toMatchObject({ error: 'UPGRADE_REQUIRED' });
  });

  it(`one account holds at most ${MAX_LIVE_PER_USER} live sockets; others are unaffected and still hear alerts`, async () => {
    await createUser(hub.httpUrl, s.token, { username: 'ws-hog', password: 'long-enough-password', role: 'viewer', communities: ['*'] });
    const hogToken = await login(hub.httpUrl, { username: 'ws-hog', password: 'long-enough-password' });
    const sockets = await Promise.all(Array.from({ length: MAX_LIVE_PER_USER }, () => openLive(hub.httpUrl, hogToken)));
    const extra = await openLive(hub.httpUrl, hogToken);
    expect(await closed(extra)).toBe(4429);
    const listener = await openLive(hub.httpUrl, s.token);
    const heard: string[] = [];
    listener.on('message', (d) => heard.push((JSON.parse(d.toString()) as { type: string }).type));
    const client = await mqtt.connectAsync(hub.mqttUrl, { ...s.gateway, clientId: s.gateway.username, reconnectPeriod: 0 });
    await client.publishAsync('community/c1/smoke/ws-s1/event', JSON.stringify({ type: 'alarm' }), { qos: 1 });
    await client.endAsync();
    await waitFor(() => heard.includes('alert') || undefined, { what: 'the alert on the live socket' });
    // Closing frees the slots.
    sockets[0]!.close();
    await closed(sockets[0]!);
    const again = await openLive(hub.httpUrl, hogToken);
    await new Promise((r) => setTimeout(r, 100));
    expect(again.readyState).toBe(WebSocket.OPEN);
    for (const ws of [...sockets, again, listener]) ws.close();
  });
});
