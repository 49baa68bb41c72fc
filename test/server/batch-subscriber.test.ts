import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchSubscriber, type InboundMessage } from '../../server/src/ingest/batch-subscriber.ts';
import { createLogger } from '../../server/src/log.ts';
import { waitFor } from '../helpers/ports.ts';
import { startMosquitto, type Service } from '../helpers/services.ts';

/** The telemetry lane's subscriber against a real Mosquitto: batching, acknowledgement after the handler, redelivery. */
describe('BatchSubscriber (real Mosquitto)', () => {
  let mosquitto: Service;
  const log = createLogger('silent');
  beforeAll(async () => {
    mosquitto = await startMosquitto();
  });
  afterAll(async () => {
    await mosquitto?.stop();
  });

  async function publish(topic: string, count: number, from = 0): Promise<void> {
    const client = await mqtt.connectAsync(mosquitto.url, { clientId: `pub-${topic.replaceAll('/', '-')}-${from}` });
    await Promise.all(Array.from({ length: count }, (_, i) => client.publishAsync(topic, JSON.stringify({ i: from + i }), { qos: 1 })));
    await client.endAsync();
  }

  const numbers = (messages: InboundMessage[]) => messages.map((m) => (JSON.parse(m.payload.toString()) as { i: number }).i);

  it('delivers every QoS 1 message once and in order, several per batch', async () => {
    const received: InboundMessage[] = [];
    let batches = 0;
    const sub = new BatchSubscriber({
      url: mosquitto.url,
      clientId: 'batch-order',
      topics: ['t/order'],
      log,
      onBatch: (messages, ack) => {
        batches++;
        received.push(...messages);
        ack();
      },
      onConnectionChange: () => {},
    });
    await sub.start();
    expect(sub.connected).toBe(true);
    await publish('t/order', 3000);
    await waitFor(() => received.length >= 3000, { timeoutMs: 20_000, what: '3000 messages' });
    expect(numbers(received)).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(batches).toBeLessThan(3000);
    await sub.stop();
    expect(sub.connected).toBe(false);
  });

  it('acknowledges nothing before the handler says so: unacknowledged messages come back on the next connection', async () => {
    const held: { messages: InboundMessage[]; ack: () => void }[] = [];
    const make = (onBatch: (m: InboundMessage[], ack: () => void) => void) =>
      new BatchSubscriber({ url: mosquitto.url, clientId: 'batch-held', topics: ['t/held'], log, onBatch, onConnectionChange: () => {} });
    const first = make((messages, ack) => held.push({ messages, ack }));
    await first.start();
    await publish('t/held', 200);
    await waitFor(() => held.length > 0, { timeoutMs: 10_000, what: 'a first batch' });
    const heldCount = held.reduce((n, b) => n + b.messages.length, 0);
    // While a batch is held the socket is not read: no further batch arrives.
    await new Promise((r) => setTimeout(r, 300));
    expect(held.length).toBe(1);
    await first.stop();

    const again: number[] = [];
    const second = make((messages, ack) => {
      again.push(...numbers(messages));
      ack();
    });
    await second.start();
    await waitFor(() => again.length >= 200, { timeoutMs: 10_000, what: 'redelivery' });
    // The held (never acknowledged) messages are redelivered, and nothing is missing.
    expect(new Set(again).size).toBe(200);
    expect(numbers(held[0]!.messages).every((i) => again.includes(i))).toBe(true);
    expect(heldCount).toBeGreaterThan(0);
    await second.stop();
  });

  it('a late acknowledgement resumes reading (backpressure, not loss)', async () => {
    const got: number[] = [];
    let hold = true;
    const pending: (() => void)[] = [];
    const sub = new BatchSubscriber({
      url: mosquitto.url,
      clientId: 'batch-late',
      topics: ['t/late'],
      log,
      onBatch: (messages, ack) => {
        got.push(...numbers(messages));
        if (hold) pending.push(ack);
        else ack();
      },
      onConnectionChange: () => {},
    });
    await sub.start();
    await publish('t/late', 500);
    await waitFor(() => pending.length > 0, { timeoutMs: 10_000, what: 'a held batch' });
    hold = false;
    pending.shift()!();
    await waitFor(() => got.length >= 500, { timeoutMs: 10_000, what: 'the rest' });
    expect(got).toEqual(Array.from({ length: 500 }, (_, i) => i));
    await sub.stop();
  });

  it('reconnects after the broker restarts, with its persistent session', async () => {
    const got = new Set<number>();
    const states: boolean[] = [];
    const sub = new BatchSubscriber({
      url: mosquitto.url,
      clientId: 'batch-restart',
      topics: ['t/restart'],
      log,
      reconnectMs: 200,
      onBatch: (messages, ack) => {
        for (const i of numbers(messages)) got.add(i);
        ack();
      },
      onConnectionChange: (up) => states.push(up),
    });
    await sub.start();
    await mosquitto.stop('SIGTERM');
    await waitFor(() => !sub.connected, { timeoutMs: 10_000, what: 'disconnect seen' });
    await mosquitto.start();
    await waitFor(() => sub.connected, { timeoutMs: 20_000, what: 'reconnect' });
    await publish('t/restart', 100);
    await waitFor(() => got.size >= 100, { timeoutMs: 10_000, what: 'messages after the restart' });
    expect(states).toEqual([true, false, true]);
    await sub.stop();
  });
});
