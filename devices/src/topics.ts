import { isValidId } from './ids.ts';
import { isDeviceKind, type DeviceKind } from './kinds/index.ts';

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
 * reported. (A five-level topic with an unknown channel matches neither; brokers with the hub's
 * ACL refuse those at publish.)
 */
export function hubSubscriptions(lane: SubscriptionLane, communities?: readonly string[]): string[] {
  const roots = communities?.length ? communities.map((c) => `community/${c}`) : ['community/+'];
  if (lane === 'events') return roots.flatMap((r) => [`${r}/+/+/event`, `${r}/+/+/status`]);
  return roots.flatMap((r) => [`${r}/+/+/telemetry`, r, `${r}/+`, `${r}/+/+`, `${r}/+/+/+/+/#`]);
}

const ALERT_TOPIC = /^community\/[^/]+\/alerts\/[^/]+$/;
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
