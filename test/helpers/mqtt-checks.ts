import type mqtt from 'mqtt';
import type { Hub } from '../../server/src/hub.ts';

/** A hub counter's value for one reason label (0 when never counted). */
export async function countedReason(hub: Hub, reason: string, metric = 'hub_mqtt_refused_total'): Promise<number> {
  const values = (await hub.metrics.registry.getSingleMetric(metric)?.get())?.values ?? [];
  return values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

/** The granted QoS per filter (128: refused); mqtt.js rejects a SUBACK that refuses any, so ask one by one. */
export async function grants(c: mqtt.MqttClient, filters: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const f of filters) out.push(await c.subscribeAsync(f, { qos: 1 }).then((g) => g[0]!.qos, () => 128));
  return out;
}
