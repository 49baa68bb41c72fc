import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../server/src/auth/audit.ts';
import { UserRepository } from '../../server/src/auth/users.ts';
import { parseHubConfig, type HubConfigFile } from '../../server/src/grid/config-file.ts';
import { createLogger } from '../../server/src/log.ts';
import { HubMetrics } from '../../server/src/metrics.ts';
import { AlertDispatcher } from '../../server/src/notify/dispatcher.ts';
import { PeopleDelivery } from '../../server/src/notify/people/delivery.ts';
import { DeliveryLadder } from '../../server/src/notify/people/ladder.ts';
import { alertFixture, SAMPLE_CONFIG, type AlertFixture } from '../helpers/alerts.ts';
import { waitFor } from '../helpers/ports.ts';
import { RecordingTransport } from './recording-transport.ts';

const CONFIG = parseHubConfig({
  ...SAMPLE_CONFIG,
  workers: SAMPLE_CONFIG.workers!.map((w) =>
    w.id === 'w1' ? { ...w, accounts: { wecom: 'zhangwei', dingtalk: 'dd-zhang' } } : w.id === 'sup1' ? { ...w, accounts: { wecom: 'wangqiang' } } : w,
  ),
  escalation: { ackDeadlineS: { critical: 60 }, reminderIntervalS: { critical: 30 } },
});

describe('the people channel: ladder, durable outbox, retries, acknowledgement stops every channel', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(config: HubConfigFile = CONFIG, f: AlertFixture = alertFixture(config), dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'csh-people-'))) {
    const wecom = new RecordingTransport('wecom', (r) => r.accounts?.wecom);
    const dingtalk = new RecordingTransport('dingtalk', (r) => r.accounts?.dingtalk);
    const sms = new RecordingTransport('sms', (r) => r.phone);
    const metrics = new HubMetrics();
    const delivery = new PeopleDelivery({
      db: f.db,
      dataDir,
      file: { ...config, cameraLists: [] },
      grid: f.grid,
      registry: f.registry,
      users: new UserRepository(f.db),
      audit: new AuditLog(f.db),
      alerts: f.alerts,
      metrics,
      log: createLogger('silent'),
      clock: () => f.clock.now,
      hubUrl: () => 'http://hub.test:8080',
      outbox: { pollMs: 20, maxBackoffMs: 1000 },
    });
    for (const t of [wecom, dingtalk, sms]) delivery.register(t);
    await delivery.start();
    const dispatcher = new AlertDispatcher({ alerts: f.alerts, log: createLogger('silent'), channels: [delivery.channel] });
    dispatcher.start();
    cleanups.push(async () => {
      dispatcher.stop();
      await delivery.stop();
    });
    return { f, delivery, wecom, dingtalk, sms, metrics, dataDir };
  }

  const fire = (f: AlertFixture) => f.alerts.signal(f.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;

  it('sends each recipient on each channel its level names, one message per (alert, change, level, recipient, channel), and records it in history', async () => {
    const { f, wecom, dingtalk, sms } = await setup();
    const alert = fire(f);
    await waitFor(() => wecom.sent.length === 1 && dingtalk.sent.length === 1 || undefined, { what: 'wecom and dingtalk sends' });
    expect(sms.sent).toEqual([]);
    const m = wecom.sent[0]!;
    expect(m).toMatchObject({ change: 'opened', level: 0, recipient: { id: 'w1', name: '张伟', accounts: { wecom: 'zhangwei' } } });
    expect(m.key).toBe(`${alert.id}|opened|0|w1|wecom`);
    expect(m.ackUrl).toMatch(new RegExp(`^http://hub\\.test:8080/ack/${alert.id}\\?t=[\\w-]+\\.[\\w-]+$`));
    expect(m.ackUrl).not.toBe(dingtalk.sent[0]!.ackUrl);
    await waitFor(() => f.alerts.get(alert.id)!.history.filter((h) => h.action === 'delivery_sent').length === 2 || undefined, { what: 'two sent entries' });
    const history = f.alerts.get(alert.id)!.history;
    expect(history.find((h) => h.action === 'delivery_queued')!.detail).toMatchObject({ change: 'opened', level: 0, count: 2, channels: { wecom: ['张伟'], dingtalk: ['张伟'] } });
    expect(history.filter((h) => h.action === 'delivery_sent').map((h) => h.detail!.channel).sort()).toEqual(['dingtalk', 'wecom']);
  });

  it('a replayed change is not sent twice (the idempotency key)', async () => {
    const { f, delivery, wecom } = await setup();
    const alert = fire(f);
    await waitFor(() => wecom.sent.length === 1 || undefined, { what: 'the send' });
    const change = { type: 'opened' as const, alert: f.alerts.get(alert.id)!, grouped: false, recipients: [f.grid.person('w1')!], controlRoom: true, level: 0 };
    delivery.channel.deliver(change);
    delivery.channel.deliver(change);
    await new Promise((r) => setTimeout(r, 150));
    expect(wecom.sent).toHaveLength(1);
    expect((f.db.prepare("SELECT count(*) AS n FROM people_outbox WHERE channel = 'wecom'").get() as { n: number }).n).toBe(1);
  });

  it('retries a transient failure with backoff until it goes through; a permanent one is not retried', async () => {
    const { f, wecom, dingtalk } = await setup();
    let wecomCalls = 0;
    wecom.answer = () => (++wecomCalls < 3 ? { ok: false, status: 503, error: 'provider down' } : { ok: true });
    dingtalk.answer = () => ({ ok: false, retry: false, error: 'no such userid' });
    const alert = fire(f);
    await waitFor(() => dingtalk.sent.length === 1 || undefined, { what: 'the dingtalk attempt' });
    await waitFor(() => wecom.sent.length === 1 || undefined, { what: 'the first wecom attempt' });
    // Backoff: 1 s after the first failure, 2 s after the second (on the hub's clock).
    f.clock.now += 500;
    await new Promise((r) => setTimeout(r, 100));
    expect(wecom.sent).toHaveLength(1);
    f.clock.now += 600;
    await waitFor(() => wecom.sent.length === 2 || undefined, { what: 'the second wecom attempt' });
    f.clock.now += 2100;
    await waitFor(() => wecom.sent.length === 3 || undefined, { what: 'the third wecom attempt' });
    f.clock.now += 60_000;
    await new Promise((r) => setTimeout(r, 150));
    expect(dingtalk.sent).toHaveLength(1);
    await waitFor(() => f.alerts.get(alert.id)!.history.some((h) => h.action === 'delivery_sent') || undefined, { what: 'the sent entry' });
    const history = f.alerts.get(alert.id)!.history;
    expect(history.filter((h) => h.action === 'delivery_failed').map((h) => h.detail)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ channel: 'wecom', retrying: true, error: 'provider down' }),
        expect.objectContaining({ channel: 'dingtalk', retrying: false, error: 'no such userid' }),
      ]),
    );
    expect(history.filter((h) => h.action === 'delivery_failed' && h.detail!.channel === 'wecom')).toHaveLength(1);
  });

  it('a channel that never answers holds up no other channel, and an acknowledgement cancels what is pending on every channel', async () => {
    const { f, delivery, wecom, dingtalk } = await setup();
    dingtalk.answer = () => ({ ok: false, error: 'timeout' });
    wecom.answer = () => new Promise(() => {}); // hangs: the outbox's send timeout gives up on it
    const alert = fire(f);
    await waitFor(() => dingtalk.sent.length >= 1 || undefined, { what: 'dingtalk tried despite wecom hanging' });
    expect(delivery.outbox.pending()).toBe(2);
    f.alerts.acknowledge(alert.id, 'zhang');
    expect(delivery.outbox.pending()).toBe(0);
    const states = f.db.prepare('SELECT channel, state FROM people_outbox ORDER BY channel').all();
    expect(states).toEqual([{ channel: 'dingtalk', state: 'cancelled' }, { channel: 'wecom', state: 'cancelled' }]);
    f.clock.now += 120_000;
    f.alerts.tick();
    await new Promise((r) => setTimeout(r, 150));
    expect(dingtalk.sent).toHaveLength(1);
    // Every transport hears of it once, to update what it sent (a WeCom card's button).
    expect(dingtalk.acknowledgedAlerts).toEqual([{ alertId: alert.id, by: 'zhang' }]);
    expect(wecom.acknowledgedAlerts).toEqual([{ alertId: alert.id, by: 'zhang' }]);
  });

  it('escalates along the ladder: the supervisor at level 1, and SMS for a critical alert still unacknowledged at the configured level', async () => {
    const { f, wecom, sms } = await setup();
    const alert = fire(f);
    await waitFor(() => wecom.sent.length === 1 || undefined, { what: 'the level-0 send' });
    f.clock.now += 61_000;
    f.alerts.tick();
    await waitFor(() => sms.sent.some((m) => m.recipient.id === 'sup1') || undefined, { what: 'SMS to the supervisor' });
    expect(wecom.sent.some((m) => m.recipient.id === 'sup1' && m.change === 'escalated' && m.level === 1)).toBe(true);
    expect(f.alerts.get(alert.id)!.escalationLevel).toBe(1);
    // A minor alert never goes by SMS.
    expect(new DeliveryLadder({}).channels(5, 'worker', 'minor')).not.toContain('sms');
    expect(new DeliveryLadder({}).channels(2, 'lead', 'critical')).toEqual(expect.arrayContaining(['webpush', 'wecom', 'dingtalk', 'sms', 'voice']));
  });

  it('follows the ladder the config file gives, per level and role', () => {
    const ladder = new DeliveryLadder({ ladder: [{ worker: ['webpush'] }, { worker: ['webpush', 'wecom'], supervisor: ['dingtalk'] }], critical: { voiceAtLevel: 3 } });
    expect(ladder.channels(0, 'worker', 'critical')).toEqual(['webpush']);
    expect(ladder.channels(0, 'supervisor', 'major')).toEqual([]);
    expect(ladder.channels(1, 'supervisor', 'major')).toEqual(['dingtalk']);
    expect(ladder.channels(4, 'worker', 'critical')).toEqual(['webpush', 'wecom', 'voice']);
    expect(() => parseHubConfig({ delivery: { ladder: [{ worker: ['pager'] }] } })).toThrow(/delivery\/ladder/);
  });

  it('keeps undelivered messages across a restart (durable outbox)', async () => {
    const f = alertFixture(CONFIG);
    const first = await setup(CONFIG, f);
    first.wecom.answer = () => ({ ok: false, error: 'provider down' });
    first.dingtalk.answer = () => ({ ok: false, error: 'provider down' });
    fire(f);
    await waitFor(() => first.wecom.sent.length === 1 || undefined, { what: 'the failed attempt' });
    for (const c of cleanups.splice(0).reverse()) await c();
    f.clock.now += 10_000;
    const second = await setup(CONFIG, f, first.dataDir);
    await waitFor(() => (second.wecom.sent.length === 1 && second.dingtalk.sent.length === 1) || undefined, { what: 'sent after the restart' });
    expect(second.delivery.outbox.pending()).toBe(0);
  });

  it('reports each channel on health and metrics', async () => {
    const { f, delivery, wecom, metrics } = await setup();
    wecom.answer = () => ({ ok: false, status: 500, error: 'HTTP 500' });
    fire(f);
    await waitFor(() => delivery.health().wecom?.status === 'failing' || undefined, { what: 'wecom failing' });
    expect(delivery.health()).toMatchObject({ wecom: { status: 'failing', pending: 1, lastError: 'HTTP 500' }, dingtalk: { status: 'ok', sent: 1 }, sms: { status: 'idle' } });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/hub_people_outbox_pending\{channel="wecom"\} 1/);
    expect(text).toMatch(/hub_people_channel_up\{channel="wecom"\} 0/);
    expect(text).toMatch(/hub_people_deliveries_total\{channel="dingtalk",outcome="sent"\} 1/);
  });
});
