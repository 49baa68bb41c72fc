import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/src/log.ts';
import { LiveHub } from '../../server/src/notify/live.ts';
import { WebhookOutbox } from '../../server/src/notify/outbox.ts';
import { AlertDispatcher } from '../../server/src/notify/dispatcher.ts';
import { notificationChannels } from '../../server/src/notify/channels.ts';
import { parseHubConfig } from '../../server/src/grid/config-file.ts';
import { alertFixture, SAMPLE_CONFIG } from '../helpers/alerts.ts';
import { freePort, waitFor } from '../helpers/ports.ts';

/** A local robot endpoint (WeCom/DingTalk stand-in) that records what it receives and can be down. */
async function receiver(port: number) {
  const received: { path: string; body: Record<string, unknown> }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ path: req.url!, body: JSON.parse(body) });
      res.setHeader('content-type', 'application/json');
      res.end('{"errcode":0,"errmsg":"ok"}');
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('webhooks (WeCom and DingTalk robot formats, durable outbox)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function setup(port: number) {
    const config = parseHubConfig({
      ...SAMPLE_CONFIG,
      communities: SAMPLE_CONFIG.communities!.map((c) => ({
        ...c,
        controlRoom: { ...c.controlRoom, webhooks: [{ format: 'dingtalk', url: `http://127.0.0.1:${port}/dingtalk?access_token=secret` }] },
        cells: c.cells!.map((cell) => (cell.id === 'g1' ? { ...cell, webhooks: [{ format: 'wecom', url: `http://127.0.0.1:${port}/wecom?key=secret` }] } : cell)),
      })),
    });
    const f = alertFixture(config);
    const outbox = new WebhookOutbox(f.db, createLogger('silent'), () => f.clock.now, { maxBackoffMs: 1000, timeoutMs: 2000, pollMs: 50 });
    const dispatcher = new AlertDispatcher({ alerts: f.alerts, log: createLogger('silent'), channels: notificationChannels({ alerts: f.alerts, grid: f.grid, live: new LiveHub(), outbox, publish: () => {} }) });
    dispatcher.start();
    cleanups.push(() => dispatcher.stop());
    return { f, outbox };
  }

  it('delivers to the cell and the control room in each robot format and records it in history', async () => {
    const port = await freePort();
    const rx = await receiver(port);
    cleanups.push(rx.close);
    const { f } = await setup(port);
    const a = f.alerts.signal(f.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
    await waitFor(() => rx.received.length === 2 || undefined, { what: 'two deliveries' });
    const wecom = rx.received.find((r) => r.path.startsWith('/wecom'))!.body as { msgtype: string; text: { content: string; mentioned_mobile_list: string[] } };
    expect(wecom.msgtype).toBe('text');
    expect(wecom.text.content).toContain('火灾报警 Fire alarm');
    expect(wecom.text.mentioned_mobile_list).toEqual(['13800000001']);
    const ding = rx.received.find((r) => r.path.startsWith('/dingtalk'))!.body as { msgtype: string; markdown: { title: string; text: string }; at: { atMobiles: string[] } };
    expect(ding.msgtype).toBe('markdown');
    expect(ding.markdown.text).toContain(a.id);
    await waitFor(() => a.history.filter((h) => h.action === 'webhook_delivered').length === 2 || undefined, { what: 'history' });
    // The secret in the robot URL never reaches the history.
    expect(JSON.stringify(a.history)).not.toContain('secret');
  });

  it('keeps notifications while the receiver is down and delivers them when it returns', async () => {
    const port = await freePort();
    const { f, outbox } = await setup(port);
    const alert = f.alerts.signal(f.registry.get('gate1')!, { type: 'door_forced', action: 'event' })!;
    await waitFor(() => alert.history.some((h) => h.action === 'webhook_failed') || undefined, { what: 'first failure recorded' });
    expect(outbox.pending()).toBe(2);
    // Time passes while the receiver is away; retries back off.
    for (let i = 0; i < 5; i++) {
      f.clock.now += 2000;
      await outbox.deliverDue();
    }
    expect(outbox.pending()).toBe(2);
    const rx = await receiver(port);
    cleanups.push(rx.close);
    // The hub's clock moves on; an attempt still in flight from before may reschedule itself.
    await waitFor(() => {
      f.clock.now += 500;
      return (rx.received.length === 2 && outbox.pending() === 0) || undefined;
    }, { what: 'delivery after the receiver returned', intervalMs: 100 });
    expect(alert.history.filter((h) => h.action === 'webhook_delivered')).toHaveLength(2);
    expect(alert.history.filter((h) => h.action === 'webhook_failed')).toHaveLength(2);
  });
});
