import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic } from '#devices';
import { buildFleet, type SimDevice } from './fleet.ts';
import { hasRoutineEvents, routineEventFor, telemetryFor } from './readings.ts';
import { createRng } from './rng.ts';

export interface SimulationOptions {
  mqttUrl: string;
  /** A ready fleet, or how many devices to make. */
  devices: SimDevice[] | number;
  communities?: number;
  /** Messages per second across the fleet. */
  rate: number;
  qos: 0 | 1;
  durationS?: number;
  /** Stop after exactly this many messages (takes precedence over duration). */
  count?: number;
  /** Share of messages that are routine events rather than telemetry. */
  eventShare?: number;
  connections?: number;
  /** Unacknowledged QoS 1 publishes allowed per connection before pacing waits. */
  maxInflight?: number;
  seed?: number;
  username?: string;
  password?: string;
  clientIdPrefix?: string;
  /** Keep every sent message (topic and payload) for the caller to check. */
  record?: boolean;
  /** Publish retained `online` for every device first. */
  announce?: boolean;
  onProgress?: (p: SimulationProgress) => void;
}

export interface SimulationProgress {
  sent: number;
  acked: number;
  errors: number;
  elapsedS: number;
  target: number;
}

export interface SentMessage {
  topic: string;
  body: Record<string, unknown>;
  publishedAt: number;
  /** False when the publish failed (e.g. "Connection closed" for a message mqtt.js never sent): the broker never acknowledged it. */
  acked?: boolean;
}

export interface SimulationSummary extends SimulationProgress {
  ratePerS: number;
  devices: number;
  messages?: SentMessage[];
}

function connect(url: string, clientId: string, o: SimulationOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      clientId,
      clean: true,
      reconnectPeriod: 500,
      connectTimeout: 10_000,
      ...(o.username ? { username: o.username } : {}),
      ...(o.password ? { password: o.password } : {}),
    });
    const onError = (err: Error) => {
      client.end(true);
      reject(err);
    };
    client.once('error', onError);
    client.once('connect', () => {
      client.off('error', onError);
      client.on('error', () => {});
      resolve(client);
    });
  });
}

/**
 * Publishes paced telemetry and occasional routine events for a fleet and reports what the
 * broker acknowledged. QoS 1 messages unacknowledged at a disconnect are resent by mqtt.js on
 * reconnect, so `acked` counts each message once.
 */
export async function runSimulation(o: SimulationOptions): Promise<SimulationSummary> {
  const fleet = typeof o.devices === 'number' ? buildFleet({ devices: o.devices, communities: o.communities ?? 1, seed: o.seed ?? 1 }) : o.devices;
  const rng = createRng((o.seed ?? 1) + 7);
  const nConn = Math.max(1, Math.min(o.connections ?? 4, fleet.length));
  const clients = await Promise.all(
    Array.from({ length: nConn }, (_, i) => connect(o.mqttUrl, `${o.clientIdPrefix ?? 'sim'}-${process.pid}-${i}`, o)),
  );
  const inflight = new Array<number>(nConn).fill(0);
  const maxInflight = o.maxInflight ?? 1000;
  const eventShare = o.eventShare ?? 0.02;
  const target = o.count ?? Math.round(o.rate * (o.durationS ?? 10));
  const messages: SentMessage[] | undefined = o.record ? [] : undefined;
  let sent = 0;
  let acked = 0;
  let errors = 0;
  const started = performance.now();
  const elapsedS = () => (performance.now() - started) / 1000;

  if (o.announce) {
    await Promise.all(
      fleet.map(
        (d, i) =>
          new Promise<void>((resolve) =>
            clients[i % nConn]!.publish(deviceTopic({ ...d, deviceId: d.id, channel: 'status' }), 'online', { qos: 1, retain: true }, () => resolve()),
          ),
      ),
    );
  }

  // Kinds with no harmless event (gas, electrical fire) hand their event turns to a device that has
  // one, so eventShare stays the share of messages that are events.
  const eventful = fleet.filter((d) => hasRoutineEvents(d.kind));
  let cursor = 0;
  const publishOne = () => {
    const wantEvent = rng() < eventShare && eventful.length > 0;
    let d = fleet[cursor % fleet.length]!;
    if (wantEvent && !hasRoutineEvents(d.kind)) d = eventful[cursor % eventful.length]!;
    const c = cursor % nConn;
    cursor++;
    const now = Date.now();
    const isEvent = wantEvent;
    const body = { ...(isEvent ? routineEventFor(d, rng) : telemetryFor(d, rng, now)), ts: now, seq: ++d.seq };
    const topic = deviceTopic({ communityId: d.communityId, kind: d.kind, deviceId: d.id, channel: isEvent ? 'event' : 'telemetry' });
    const record: SentMessage = { topic, body, publishedAt: now };
    messages?.push(record);
    sent++;
    if (o.qos === 0) {
      clients[c]!.publish(topic, JSON.stringify(body), { qos: 0 });
      acked++;
      return;
    }
    inflight[c]!++;
    clients[c]!.publish(topic, JSON.stringify(body), { qos: 1 }, (err) => {
      inflight[c]!--;
      record.acked = !err;
      if (err) errors++;
      else acked++;
    });
  };

  const progressTimer = o.onProgress ? setInterval(() => o.onProgress!({ sent, acked, errors, elapsedS: elapsedS(), target }), 1000) : undefined;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(target, Math.floor(o.rate * elapsedS()) + 1);
      while (sent < due) {
        if (inflight[cursor % nConn]! >= maxInflight) break;
        publishOne();
      }
      if (sent >= target) return resolve();
      setTimeout(tick, 2);
    };
    tick();
  });
  // Wait for the broker to acknowledge what is in flight (mqtt.js resends after reconnects).
  const deadline = performance.now() + 120_000;
  while (o.qos === 1 && acked + errors < sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const duration = elapsedS();
  clearInterval(progressTimer);
  await Promise.all(clients.map((c) => new Promise<void>((r) => c.end(false, {}, () => r()))));
  return { sent, acked, errors, elapsedS: duration, target, ratePerS: sent / duration, devices: fleet.length, ...(messages ? { messages } : {}) };
}
