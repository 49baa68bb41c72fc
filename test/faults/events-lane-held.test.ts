import net from 'node:net';
import mqtt from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { buildFleet } from '../../simulators/src/fleet.ts';
import { runSimulation } from '../../simulators/src/run.ts';
import { BatchSubscriber, type InboundMessage } from '../../server/src/ingest/batch-subscriber.ts';
import { InfluxTelemetryStore } from '../../server/src/store/influx.ts';
import { createLogger } from '../../server/src/log.ts';
import { influxPointCount } from '../helpers/influx-count.ts';
import { waitFor } from '../helpers/ports.ts';
import { useMosquittoAndInflux } from '../helpers/real-services.ts';
import { verifyStored } from '../helpers/traffic.ts';
import { adminSession, openLive } from '../helpers/auth.ts';
import { FAULT_SCALE, faultReport, sleep } from '../helpers/fault-report.ts';

/**
 * A long store outage exhausts any fixed reserve of spool space for events. Then events are held
 * (spooled and acknowledged once space frees), and the events lane must still read and evaluate
 * the next ones: an alarm behind held routine events reaches the WebSocket within 1 s.
 */
const SPOOL_BYTES = 1024 * 1024;

async function eventsReceived(hub: { metrics: { messagesReceived: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> } } }): Promise<number> {
  return (await hub.metrics.messagesReceived.get()).values.find((v) => v.labels.channel === 'event')?.value ?? 0;
}

describe('faults: the events lane keeps evaluating while events wait for spool space', () => {
  const env = useMosquittoAndInflux();
  const report = faultReport();

  it('mosquitto: events reserve exhausted, InfluxDB down: each alarm reaches /ws within 1 s; every acknowledged message stored once afterwards', async () => {
    const db = 'eventsheld';
    const hub = await env.hub(db, { spoolMaxBytes: SPOOL_BYTES });
    const session = await adminSession(hub.httpUrl, 'held-gw');
    const ws: WebSocket = await openLive(hub.httpUrl, session.token);
    const arrived = new Map<string, number>();
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { type: string; alert?: { deviceId: string } };
      if (m.type === 'alert' && m.alert && !arrived.has(m.alert.deviceId)) arrived.set(m.alert.deviceId, performance.now());
    });
    try {
      await env.influx.stop();
      // Telemetry first, until only the events' reserve (~100 KiB of the 1 MiB) is left; then
      // routine events, ~250 bytes each: about twice the reserve, yet fewer held than the
      // broker's in-flight window (1000).
      const telemetry = runSimulation({ mqttUrl: hub.mqttUrl, devices: buildFleet({ devices: 100, seed: 43, idPrefix: 'held-t' }), rate: 2000, qos: 1, count: 8000, record: true, connections: 2, eventShare: 0 });
      await waitFor(() => hub.journal.telemetryFull || undefined, { what: 'the telemetry budget to fill', timeoutMs: 60_000 });
      const routine = await runSimulation({ mqttUrl: hub.mqttUrl, devices: buildFleet({ devices: 100, seed: 44, idPrefix: 'held-e' }), rate: 1000, qos: 1, count: 900, record: true, connections: 1, eventShare: 1 });
      const background = await telemetry;
      const summary = { sent: background.sent + routine.sent, acked: background.acked + routine.acked, messages: [...background.messages!, ...routine.messages!] };
      expect(summary.acked).toBe(summary.sent);
      const events = routine.messages!.filter((m) => m.topic.endsWith('/event')).length;
      expect(events).toBe(900);
      // Every routine event is evaluated, though only part of them fit in the spool.
      await waitFor(async () => (await eventsReceived(hub)) >= events || undefined, { what: 'every routine event evaluated', timeoutMs: 30_000 });
      // The reserve is used up: events are held, their PUBACKs waiting.
      expect(hub.journal.full).toBe(true);

      const probe = await mqtt.connectAsync(hub.mqttUrl, { clientId: 'held-probe' });
      const latencies: number[] = [];
      const probes = 10;
      for (let i = 0; i < probes; i++) {
        const id = `held-alarm-${i}`;
        const t = performance.now();
        await probe.publishAsync(`community/c1/smoke/${id}/event`, JSON.stringify({ type: 'alarm', ts: Date.now(), seq: 1 }), { qos: 1 });
        const at = await waitFor(() => arrived.get(id), { what: `alert for ${id}`, timeoutMs: 10_000, intervalMs: 1 });
        latencies.push(at - t);
        await sleep(100);
      }
      await probe.endAsync();
      const eventsFullWhileAlarming = hub.journal.full;

      await env.influx.start();
      const acked = summary.acked + probes;
      await waitFor(async () => (await influxPointCount(env.influx, db)) >= acked || undefined, { what: 'every point after the outage', timeoutMs: 120_000 });
      await waitFor(() => hub.journal.pendingBytes() === 0 || undefined, { what: 'the spool to drain', timeoutMs: 60_000 });
      const missing = await verifyStored(new InfluxTelemetryStore(env.influxUrl(db)), summary.messages!);
      const stored = await influxPointCount(env.influx, db);
      report.eventsLaneHeld = {
        acked,
        stored,
        lost: missing.length,
        duplicated: Math.max(0, stored - acked),
        routineEvents: events,
        eventsFullWhileAlarming,
        alarmLatencyMs: { max: Math.round(Math.max(...latencies)), all: latencies.map((l) => Math.round(l)) },
      };
      expect(eventsFullWhileAlarming).toBe(true);
      expect(missing).toEqual([]);
      expect(stored).toBe(acked);
      expect(hub.rejects.total()).toBe(0);
      for (const l of latencies) expect(l).toBeLessThan(1000);
    } finally {
      ws.close();
    }
  }, 300_000 * FAULT_SCALE);
});

/** A broker that sends what the test says and records the PUBACKs it gets, in order. */
async function fakeBroker(): Promise<{ url: string; send(packet: Packet): void; pubacks: number[]; published: Packet[]; connects: number; drop(): void; close(): Promise<void> }> {
  let socket: net.Socket | undefined;
  const state = {
    pubacks: [] as number[],
    published: [] as Packet[],
    connects: 0,
  };
  const server = net.createServer((s) => {
    socket = s;
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p: Packet) => {
      if (p.cmd === 'connect') {
        state.connects++;
        s.write(mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }));
      } else if (p.cmd === 'subscribe') s.write(mqttPacket.generate({ cmd: 'suback', messageId: p.messageId, granted: p.subscriptions.map(() => 1 as const) }));
      else if (p.cmd === 'puback') state.pubacks.push(p.messageId!);
      else if (p.cmd === 'publish') state.published.push(p);
    });
    s.on('data', (d) => parser.parse(d));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    send: (packet) => socket!.write(mqttPacket.generate(packet)),
    get pubacks() {
      return state.pubacks;
    },
    get published() {
      return state.published;
    },
    get connects() {
      return state.connects;
    },
    drop: () => socket?.destroy(),
    close: () =>
      new Promise<void>((r) => {
        socket?.destroy();
        server.close(() => r());
      }),
  };
}

describe('BatchSubscriber keep-reading mode (fake broker)', () => {
  const log = createLogger('silent');
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });
  const publish = (messageId: number) => ({ cmd: 'publish' as const, topic: 'community/c1/smoke/d/event', payload: Buffer.from(String(messageId)), qos: 1 as const, messageId, retain: false, dup: false });

  it('reads on past a held batch, and writes PUBACKs strictly in the order the PUBLISHes arrived', async () => {
    const broker = await fakeBroker();
    const batches: { ids: number[]; ack: () => void }[] = [];
    const sub = new BatchSubscriber({
      url: broker.url,
      clientId: 'keep-reading',
      topics: ['community/+/+/+/event'],
      log,
      maxHeldMessages: 100,
      onBatch: (messages: InboundMessage[], ack) => batches.push({ ids: messages.map((m) => Number(m.payload.toString())), ack }),
      onConnectionChange: () => {},
    });
    cleanup.push(() => sub.stop(), () => broker.close());
    await sub.start();
    for (let id = 1; id <= 3; id++) {
      broker.send(publish(id));
      await waitFor(() => batches.flat().length >= id || undefined, { what: `batch ${id}`, timeoutMs: 5000 });
    }
    expect(batches.map((b) => b.ids)).toEqual([[1], [2], [3]]);
    // Later batches acknowledged first: nothing may overtake the held first one.
    batches[2]!.ack();
    batches[1]!.ack();
    await sleep(100);
    expect(broker.pubacks).toEqual([]);
    batches[0]!.ack();
    await waitFor(() => broker.pubacks.length >= 3 || undefined, { what: 'the PUBACKs', timeoutMs: 5000 });
    expect(broker.pubacks).toEqual([1, 2, 3]);
  });

  it('stops reading at maxHeldMessages and resumes once acknowledgements free room', async () => {
    const broker = await fakeBroker();
    const batches: { ids: number[]; ack: () => void }[] = [];
    const sub = new BatchSubscriber({
      url: broker.url,
      clientId: 'keep-reading-bound',
      topics: ['community/+/+/+/event'],
      log,
      maxHeldMessages: 2,
      onBatch: (messages: InboundMessage[], ack) => batches.push({ ids: messages.map((m) => Number(m.payload.toString())), ack }),
      onConnectionChange: () => {},
    });
    cleanup.push(() => sub.stop(), () => broker.close());
    await sub.start();
    for (let id = 1; id <= 2; id++) {
      broker.send(publish(id));
      await waitFor(() => batches.length >= id || undefined, { what: `batch ${id}`, timeoutMs: 5000 });
    }
    broker.send(publish(3));
    await sleep(200);
    expect(batches.flatMap((b) => b.ids)).toEqual([1, 2]);
    batches[0]!.ack();
    await waitFor(() => batches.length >= 3 || undefined, { what: 'reading resumed', timeoutMs: 5000 });
    for (const b of batches.slice(1)) b.ack();
    await waitFor(() => broker.pubacks.length >= 3 || undefined, { what: 'the PUBACKs', timeoutMs: 5000 });
    expect(broker.pubacks).toEqual([1, 2, 3]);
  });

  it('keeps a QoS 1 publication until its PUBACK and sends it again, with dup, after a reconnect', async () => {
    const broker = await fakeBroker();
    const sub = new BatchSubscriber({ url: broker.url, clientId: 'keep-publishing', topics: ['t'], log, reconnectMs: 50, maxHeldMessages: 10, onBatch: (_m, ack) => ack(), onConnectionChange: () => {} });
    cleanup.push(() => sub.stop(), () => broker.close());
    await sub.start();
    sub.publish('community/c1/alert/a1', '{"x":1}', 1);
    await waitFor(() => broker.published.length >= 1 || undefined, { what: 'the publication', timeoutMs: 5000 });
    broker.drop();
    await waitFor(() => broker.connects >= 2 && broker.published.length >= 2 ? true : undefined, { what: 'the publication sent again', timeoutMs: 5000 });
    const [first, again] = broker.published as (Packet & { messageId: number; dup: boolean; payload: Buffer })[];
    expect(again!.messageId).toBe(first!.messageId);
    expect(again!.dup).toBe(true);
    expect(again!.payload.toString()).toBe('{"x":1}');
    broker.send({ cmd: 'puback', messageId: first!.messageId });
    await sleep(100);
    broker.drop();
    await waitFor(() => (broker.connects >= 3 && sub.connected) || undefined, { what: 'a third connection', timeoutMs: 5000 });
    await sleep(100);
    expect(broker.published.length).toBe(2);
  });
});
