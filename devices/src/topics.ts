import { isValidId } from './ids.ts';
import { isDeviceKind, KINDS, type DeviceKind } from './kinds/index.ts';

export const CHANNELS = ['telemetry', 'event', 'status'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface DeviceTopic {
  communityId: string;
  kind: DeviceKind;
  deviceId: string;
  channel: Channel;
}

export type TopicParseError = 'bad_prefix' | 'bad_id' | 'unknown_kind' | 'unknown_channel' | 'bad_depth';

export function deviceTopic(t: DeviceTopic): string {
  return `community/${t.communityId}/${t.kind}/${t.deviceId}/${t.channel}`;
}

export function alertTopic(communityId: string, alertId: string): string {
  return `community/${communityId}/alerts/${alertId}`;
}

/** The device's own topic subtree; the MQTT ACL lets a device publish only here. */
export function deviceTopicRoot(communityId: string, kind: DeviceKind, deviceId: string): string {
  return `community/${communityId}/${kind}/${deviceId}/`;
}

export type SubscriptionLane = 'events' | 'telemetry';

/**
 * The hub's subscriptions per lane. Events and status (alert material) have a lane of their own;
 * the telemetry lane also catches malformed topics of other depths so they are counted and
 * reported. Four levels deep only under a device kind (`community/{c}/{kind}/{id}`, a device
 * that left out its channel): a catch-all there would be `community/+/+/+`, which also matches
 * the hub's own alert topic `community/{c}/alerts/{id}`, and the hub would receive every alert
 * it publishes. (A five-level topic with an unknown channel, or a four-level one outside a kind,
 * matches none: Mosquitto with the exported acl_file refuses those at publish, and the embedded
 * broker hands the hub every publish in process, whatever it subscribes to.)
 */
export function hubSubscriptions(lane: SubscriptionLane, communities?: readonly string[]): string[] {
  const roots = communities?.length ? communities.map((c) => `community/${c}`) : ['community/+'];
  if (lane === 'events') return roots.flatMap((r) => [`${r}/+/+/event`, `${r}/+/+/status`]);
  return roots.flatMap((r) => [`${r}/+/+/telemetry`, r, `${r}/+`, ...KINDS.map((kind) => `${r}/${kind}/+`), `${r}/+/+/+/+/#`]);
}

const ALERT_TOPIC = /^community\/[^/]+\/alerts\/[^/]+$/;
/** The hub's alert publications; the embedded broker hands the hub every publish, its own included. */
export function isAlertTopic(topic: string): boolean {
  return ALERT_TOPIC.test(topic);
}

export function parseDeviceTopic(topic: string): DeviceTopic | TopicParseError {
  const parts = topic.split('/');
  if (parts.length !== 5) return 'bad_depth';
  const [prefix, communityId, kind, deviceId, channel] = parts as [string, string, string, string, string];
  if (prefix !== 'community') return 'bad_prefix';
  if (!isValidId(communityId) || !isValidId(deviceId)) return 'bad_id';
  if (!isDeviceKind(kind)) return 'unknown_kind';
  if (!(CHANNELS as readonly string[]).includes(channel)) return 'unknown_channel';
  return { communityId, kind, deviceId, channel: channel as Channel };
}
