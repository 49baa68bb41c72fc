import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { memoryStateDb } from '../helpers/state-db.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/src/log.ts';
import { WebhookOutbox } from '../../server/src/notify/outbox.ts';
import { waitFor } from '../helpers/ports.ts';

/**
 * Notifications to one robot went out strictly in the order they were raised: a flood of minor
 * ones (a gateway's devices all reporting low battery, a building's sensors after a power cut) put
 * a fire alarm behind every one of them, at the robot's pace.
 */
describe('a critical notification is not queued behind minor ones to the same robot', () => {
  let server: http.Server;
  let url = '';
  const order: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () =>
        setTimeout(() => {
          order.push((JSON.parse(body) as { id: string }).id);
          res.end('{"errcode":0}');
        }, 20),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/robot`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('behind 300 minor notifications, the critical one is among the first 12 delivered', async () => {
    const outbox = new WebhookOutbox(memoryStateDb(), createLogger('silent'), Date.now, { maxBackoffMs: 60_000, timeoutMs: 2000, pollMs: 20 });
    outbox.start();
    try {
      for (let i = 0; i < 300; i++) outbox.enqueue(`minor-${i}`, url, 'dingtalk', { id: `minor-${i}` }, 'minor');
      outbox.enqueue('fire', url, 'dingtalk', { id: 'fire' }, 'critical');
      await waitFor(() => (order.includes('fire') ? true : undefined), { timeoutMs: 30_000, what: 'the fire notification' });
      expect(order.indexOf('fire')).toBeLessThan(12);
      await waitFor(() => (outbox.pending() === 0 ? true : undefined), { timeoutMs: 30_000, what: 'every notification delivered' });
      expect(order).toHaveLength(301);
    } finally {
      outbox.stop();
    }
  }, 60_000);
});
