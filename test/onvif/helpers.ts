import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { decodePayload, parseDeviceTopic, type Decoded } from '#devices';

export interface Received {
  topic: string;
  deviceId: string;
  channel: 'telemetry' | 'event' | 'status';
  raw: string;
  retained: boolean;
  decoded: Decoded;
}

export interface TestBroker {
  url: string;
  received: Received[];
  /** Messages that failed the contract's decoder (must stay empty). */
  invalid: { topic: string; raw: string; message: string }[];
  subscriber: MqttClient;
  close(): Promise<void>;
}

/** A real embedded MQTT broker (aedes) on a free loopback port plus a subscriber that decodes every camera message. */
export async function startBroker(): Promise<TestBroker> {
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const subscriber = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  const received: Received[] = [];
  const invalid: TestBroker['invalid'] = [];
  subscriber.on('message', (topic, payload, packet) => {
    const t = parseDeviceTopic(topic);
    if (typeof t === 'string' || t.kind !== 'camera') return;
    const result = decodePayload('camera', t.channel, payload, Date.now());
    if (!result.ok) {
      invalid.push({ topic, raw: payload.toString(), message: result.message });
      return;
    }
    received.push({ topic, deviceId: t.deviceId, channel: t.channel, raw: payload.toString(), retained: packet.retain, decoded: result.value });
  });
  await subscriber.subscribeAsync('community/+/camera/+/+', { qos: 1 });
  return {
    url,
    received,
    invalid,
    subscriber,
    async close() {
      await subscriber.endAsync(true);
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls until `fn` returns a truthy value; generous default timeout for a slow, noisy machine. */
export async function waitFor<T>(fn: () => T | undefined | false | null, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
