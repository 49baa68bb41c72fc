import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import type { AlertChange } from '../../server/src/alerts/changes.ts';
import { createLogger } from '../../server/src/log.ts';
import type { NotificationChannel } from '../../server/src/notify/channel.ts';
import { notificationChannels } from '../../server/src/notify/channels.ts';
import { AlertDispatcher } from '../../server/src/notify/dispatcher.ts';
import { LiveHub, type LiveMessage } from '../../server/src/notify/live.ts';
import type { DeliveryResult, OutboxItem, WebhookOutbox } from '../../server/src/notify/outbox.ts';
import { parseHubConfig } from '../../server/src/grid/config-file.ts';
import { requestAuthorization } from '../../server/src/http/authorization.ts';
import type { AuthService } from '../../server/src/auth/service.ts';
import type { FastifyRequest } from 'fastify';
import { alertFixture, SAMPLE_CONFIG } from '../helpers/alerts.ts';

/** A socket stand-in that records what the live hub sends it. */
function fakeSocket() {
  const sent: Record<string, unknown>[] = [];
  const socket = Object.assign(new EventEmitter(), { bufferedAmount: 0, send: (text: string) => sent.push(JSON.parse(text)), close() {}, terminate() {} });
  return { socket: socket as unknown as WebSocket, sent };
}

/** An outbox stand-in: records what is enqueued; results are fed by hand. */
function fakeOutbox() {
  const enqueued: { alertId: string; url: string; format: string; body: unknown; severity: string }[] = [];
  const state = { started: 0, stopped: 0 };
  const outbox = {
    onResult: undefined as ((r: DeliveryResult) => void) | undefined,
    enqueue: (alertId: string, url: string, format: string, body: unknown, severity: string) => enqueued.push({ alertId, url, format, body, severity }),
    start: () => state.started++,
    stop: () => state.stopped++,
  };
  return { outbox, asOutbox: outbox as unknown as WebhookOutbox, enqueued, state };
}

function setup() {
  const config = parseHubConfig({
    ...SAMPLE_CONFIG,
    communities: SAMPLE_CONFIG.communities!.map((c) => ({
      ...c,
      controlRoom: { ...c.controlRoom, webhooks: [{ format: 'dingtalk', url: 'http://robot.test/ding?access_token=secret', minSeverity: 'major' }] },
      cells: c.cells!.map((cell) => (cell.id === 'g1' ? { ...cell, webhooks: [{ format: 'wecom', url: 'http://robot.test/wecom?key=secret' }] } : cell)),
    })),
  });
  const f = alertFixture(config);
  const live = new LiveHub();
  const everyone = fakeSocket();
  const cellG2 = fakeSocket();
  live.add(everyone.socket);
  // A dashboard that may see cell g2 only, as the security layer's scope would say.
  live.add(cellG2.socket, (m: LiveMessage) => m.type === 'hello' || (m.type === 'alert' ? m.alert.gridCellId === 'g2' : m.type === 'annotation' ? m.gridCellId === 'g2' : false));
  const published: { topic: string; payload: string; qos: number }[] = [];
  const ob = fakeOutbox();
  const channels = notificationChannels({ alerts: f.alerts, grid: f.grid, live, outbox: ob.asOutbox, publish: (topic, payload, qos) => published.push({ topic, payload, qos }) });
  const dispatcher = new AlertDispatcher({ alerts: f.alerts, log: createLogger('silent'), channels });
  dispatcher.start();
  const ws = (s: { sent: Record<string, unknown>[] }) => s.sent.filter((m) => m.type !== 'hello');
  return { f, everyone, cellG2, ws, published, ob, dispatcher };
}

const item = (alertId: string, attempts: number): OutboxItem => ({ id: 1, alertId, url: 'http://robot.test/wecom?key=secret', format: 'wecom', body: '{}', attempts, nextAttemptAt: 0, firstFailureAt: null });

describe('notification channels', () => {
  it('the WebSocket and MQTT get the whole alert on every state change; MQTT as QoS 1 JSON on the alert topic', () => {
    const { f, everyone, ws, published } = setup();
    const a = f.alerts.signal(f.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
    f.alerts.acknowledge(a.id, 'w1');
    expect(ws(everyone).map((m) => [m.type, (m.alert as { state: string }).state])).toEqual([
      ['alert', 'open'],
      ['alert', 'acknowledged'],
    ]);
    expect(published.map((p) => [p.topic, p.qos, JSON.parse(p.payload).state])).toEqual([
      [`community/c1/alerts/${a.id}`, 1, 'open'],
      [`community/c1/alerts/${a.id}`, 1, 'acknowledged'],
    ]);
    expect(JSON.parse(published[1]!.payload)).toEqual(JSON.parse(JSON.stringify(a)));
  });

  it('webhooks go out for opened, reminded and escalated only, per cell and control room and minSeverity', () => {
    const { f, ob } = setup();
    const minor = f.alerts.signal(f.registry.get('s1')!, { type: 'low_battery', action: 'active' })!;
    expect(ob.enqueued.map((e) => [e.alertId, e.format])).toEqual([[minor.id, 'wecom']]); // the control room wants major and up
    const fire = f.alerts.signal(f.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
    f.alerts.signal(f.registry.get('s1')!, { type: 'fire_alarm', action: 'event' }); // repeated: no notification
    f.alerts.signal(f.registry.get('s4')!, { type: 'fire_alarm', action: 'event' }); // cell g2 has no robot of its own
    expect(ob.enqueued.slice(1).map((e) => [e.format, e.severity])).toEqual([
      ['dingtalk', 'critical'],
      ['wecom', 'critical'],
      ['dingtalk', 'critical'],
    ]);
    f.clock.now += 60_000;
    f.alerts.tick();
    const reminder = ob.enqueued.filter((e) => e.alertId === fire.id).at(-1)!.body as { text: { content: string } };
    expect(reminder.text.content).toContain('提醒：仍未确认');
    f.alerts.acknowledge(fire.id, 'w1');
    const n = ob.enqueued.length;
    f.alerts.resolve(fire.id, 'w1', 'false alarm');
    expect(ob.enqueued).toHaveLength(n);
  });

  it('a delivery result is an annotation: in the history, on the WebSocket as one entry (scoped), not on MQTT', () => {
    const { f, everyone, cellG2, ws, published, ob } = setup();
    const a = f.alerts.signal(f.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
    const b = f.alerts.signal(f.registry.get('s4')!, { type: 'fire_alarm', action: 'event' })!;
    const before = { ws: ws(everyone).length, mqtt: published.length };
    ob.outbox.onResult!({ item: item(a.id, 1), ok: false, status: 500 });
    ob.outbox.onResult!({ item: item(a.id, 2), ok: false, status: 500 }); // a retry's failure is not recorded again
    ob.outbox.onResult!({ item: item(a.id, 3), ok: true, status: 200 });
    ob.outbox.onResult!({ item: item(b.id, 1), ok: true, status: 200 });
    expect(a.history.slice(-2).map((h) => h.action)).toEqual(['webhook_failed', 'webhook_delivered']);
    expect(JSON.stringify(a.history)).not.toContain('secret');
    expect(published).toHaveLength(before.mqtt);
    const annotations = ws(everyone).slice(before.ws);
    expect(annotations).toEqual([
      { type: 'annotation', alertId: a.id, communityId: 'c1', gridCellId: 'g1', entry: a.history.at(-2) },
      { type: 'annotation', alertId: a.id, communityId: 'c1', gridCellId: 'g1', entry: a.history.at(-1) },
      { type: 'annotation', alertId: b.id, communityId: 'c1', gridCellId: 'g2', entry: b.history.at(-1) },
    ]);
    expect(annotations[1]!.entry).toMatchObject({ action: 'webhook_delivered', detail: { url: 'http://robot.test/wecom?…', attempts: 3 } });
    // The cell-g2 dashboard hears only its own alert and its annotation.
    expect(ws(cellG2).map((m) => [m.type, m.alertId ?? (m.alert as { id: string }).id])).toEqual([
      ['alert', b.id],
      ['annotation', b.id],
    ]);
  });

  it('a snapshot is a content change: the whole alert on the WebSocket and MQTT', () => {
    const { f, everyone, ws, published } = setup();
    const a = f.alerts.signal(f.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
    f.alerts.attachSnapshot(a.id, { url: `/api/alerts/${a.id}/snapshots/x.jpg`, cameraId: 'cam1', takenAt: f.clock.now }, 100);
    expect((ws(everyone).at(-1)!.alert as { snapshots: unknown[] }).snapshots).toHaveLength(1);
    expect(JSON.parse(published.at(-1)!.payload).snapshots).toHaveLength(1);
  });

  it('the dispatcher starts and stops the channels; one failing channel does not stop the others', () => {
    const f = alertFixture();
    const calls: string[] = [];
    const channel = (name: string, fail = false): NotificationChannel => ({
      name,
      start: () => calls.push(`start ${name}`),
      stop: () => calls.push(`stop ${name}`),
      deliver: (c: AlertChange) => {
        if (fail) throw new Error('down');
        calls.push(`${name} ${c.type}`);
      },
    });
    const dispatcher = new AlertDispatcher({ alerts: f.alerts, log: createLogger('silent'), channels: [channel('a', true), channel('b'), { name: 'c', deliver: (c) => void calls.push(`c ${c.type}`) }] });
    dispatcher.start();
    const alert = f.alerts.signal(f.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
    dispatcher.stop();
    f.alerts.acknowledge(alert.id, 'w1');
    expect(calls).toEqual(['start a', 'start b', 'b opened', 'c opened', 'stop b', 'stop a']);
  });

  it('the webhook channel owns the outbox loop and its results', () => {
    const { ob, dispatcher } = setup();
    expect(ob.state.started).toBe(1);
    expect(ob.outbox.onResult).toBeTypeOf('function');
    dispatcher.stop();
    expect(ob.state.stopped).toBe(1);
    expect(ob.outbox.onResult).toBeUndefined();
  });
});

describe('live scope of annotations', () => {
  it('a worker hears annotations of the alerts of their cells only, like the alerts themselves', () => {
    const f = alertFixture();
    const auth = { sessions: { alive: () => true } } as unknown as AuthService;
    const worker = { username: 'w2', role: 'worker', displayName: null, workerId: 'w2', communities: new Set(['c1']), cells: new Set(['g2']) };
    const scope = requestAuthorization(f.alerts, auth).liveScope({ user: worker, session: {} } as unknown as FastifyRequest);
    const entry = { at: 0, action: 'webhook_delivered' as const, by: 'system' };
    expect(scope({ type: 'annotation', alertId: 'a-1', communityId: 'c1', gridCellId: 'g2', entry })).toBe(true);
    expect(scope({ type: 'annotation', alertId: 'a-2', communityId: 'c1', gridCellId: 'g1', entry })).toBe(false);
    expect(scope({ type: 'annotation', alertId: 'a-3', communityId: 'c2', gridCellId: 'g2', entry })).toBe(false);
  });
});
