import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { memoryStateDb } from '../helpers/state-db.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/src/log.ts';
import { WebhookOutbox } from '../../server/src/notify/outbox.ts';
import { waitFor } from '../helpers/ports.ts';

/**
 * One cell's robot endpoint that never answers (a dropped route, a tarpit) held every delivery:
 * the outbox sent its oldest 50 due items at once and waited for all of them, so a fire alarm for
 * a healthy endpoint queued behind a backlog for the dead one waited out one timeout per 50 items.
 */
describe('a webhook endpoint that never answers does not delay notifications to others', () => {
  const servers: http.Server[] = [];
  const delivered: number[] = [];
  let tarpitUrl = '';
  let healthyUrl = '';
  const listen = async (handler: http.RequestListener) => {
    const server = http.createServer(handler);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  };
  beforeAll(async () => {
    tarpitUrl = await listen(() => {}); // reads the request, never answers
    healthyUrl = await listen((_req, res) => {
      delivered.push(Date.now());
      res.end('{"errcode":0}');
    });
  });
  afterAll(async () => {
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it('a notification to a healthy endpoint is delivered within a second behind 400 stuck ones', async () => {
    const outbox = new WebhookOutbox(memoryStateDb(), createLogger('silent'), Date.now, { maxBackoffMs: 60_000, timeoutMs: 2000, pollMs: 50 });
    outbox.start();
    try {
      for (let i = 0; i < 400; i++) outbox.enqueue(`minor-${i}`, tarpitUrl, 'dingtalk', { i });
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      outbox.enqueue('fire', healthyUrl, 'dingtalk', { fire: true });
      await waitFor(() => (delivered.length > 0 ? true : undefined), { timeoutMs: 30_000, what: 'the fire notification' });
      expect(delivered[0]! - t0).toBeLessThan(1000);
    } finally {
      outbox.stop();
    }
  }, 40_000);
});
