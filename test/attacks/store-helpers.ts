import mqtt from 'mqtt';
import type { Hub } from '../../server/src/hub.ts';
import type { HubSession } from '../helpers/auth.ts';
import { waitFor } from '../helpers/ports.ts';

/** Publishes each payload at QoS 1 as fast as the broker acknowledges, as one device's burst. */
export async function publishAll(hub: Hub, s: HubSession, messages: [topic: string, payload: string][]): Promise<void> {
  const client = await mqtt.connectAsync(hub.mqttUrl, { clientId: s.gateway.username, ...s.gateway, reconnectPeriod: 0 });
  try {
    await Promise.all(messages.map(([topic, payload]) => client.publishAsync(topic, payload, { qos: 1 })));
  } finally {
    await client.endAsync();
  }
}

export interface TelemetryPoint {
  ts: number;
  seq?: number;
  readings: Record<string, unknown>;
}
export interface EventPoint {
  ts: number;
  seq?: number;
  type: string;
  readings: Record<string, unknown>;
  detail: Record<string, unknown>;
}

export async function telemetryOf(hub: Hub, s: HubSession, deviceId: string, query = ''): Promise<TelemetryPoint[]> {
  const res = await s.fetch(`${hub.httpUrl}/api/devices/${deviceId}/telemetry?from=-10d&to=${Date.now() + 2 * 86_400_000}&limit=10000${query}`);
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`telemetry of ${deviceId}: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { points: TelemetryPoint[] }).points;
}

export async function eventsOf(hub: Hub, s: HubSession, deviceId: string): Promise<EventPoint[]> {
  const res = await s.fetch(`${hub.httpUrl}/api/devices/${deviceId}/events?from=-10d&to=${Date.now() + 2 * 86_400_000}&limit=10000`);
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`events of ${deviceId}: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { events: EventPoint[] }).events;
}

/** Waits until `read` returns at least `n` items and the spool is drained, then reads once more (duplicates would show). */
export async function settleAt<T>(hub: Hub, read: () => Promise<T[]>, n: number, what: string): Promise<T[]> {
  await waitFor(async () => ((await read()).length >= n ? true : undefined), { timeoutMs: 30_000, what });
  await waitFor(async () => ((await metric(hub, 'hub_spool_pending_bytes')) === 0 ? true : undefined), { timeoutMs: 30_000, what: 'the spool to drain' });
  return read();
}

/** One series of the hub's own /metrics registry, summed over labels matching `labels`. */
export async function metric(hub: Hub, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = hub.metrics.registry.getSingleMetric(name);
  if (!m) throw new Error(`no metric ${name}`);
  const { values } = await m.get();
  let sum = 0;
  for (const v of values) if (Object.entries(labels).every(([k, want]) => v.labels[k] === want)) sum += v.value;
  return sum;
}

export interface Rejected {
  total: number;
  byReason: Record<string, number>;
  recent: { topic: string; reason: string; message: string; sample: string; stage?: string }[];
}
export async function rejectedOf(hub: Hub, s: HubSession): Promise<Rejected> {
  return (await (await s.fetch(`${hub.httpUrl}/api/ingest/rejected?limit=1000`)).json()) as Rejected;
}
