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

/**
 * What the hub subscribes to: the whole community tree, so malformed and unknown topics are
 * seen, counted and reported instead of silently missed. The hub skips its own alert topics.
 */
export const DEVICE_SUBSCRIPTIONS = ['community/#'];

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
