import { CHANNELS, deviceTopicRoot } from '#devices';
import type { DeviceRegistry } from '../registry/devices.ts';
import { ALL } from './roles.ts';
import type { MqttCredential } from './mqtt-credentials.ts';
import { filterWithin, isShared, stripShare, topicMatches } from './topic-filter.ts';

const KNOWN_CHANNELS: ReadonlySet<string> = new Set(CHANNELS);

export const HUB_PUBLISH = 'community/+/alerts/+';
export const HUB_SUBSCRIBE = 'community/#';
/** The hub's built-in ONVIF bridge reports cameras as devices. */
export const HUB_PUBLISH_CAMERAS = ['community/+/camera/+/telemetry', 'community/+/camera/+/event', 'community/+/camera/+/status'];

/**
 * The topic ACL, one policy for the embedded broker (checked live) and for the exported
 * Mosquitto acl_file (written out):
 * - a device publishes only under `community/{c}/{kind}/{id}/` as registered, and may
 *   subscribe only there (nothing else ever publishes there, so it learns nothing);
 * - a gateway publishes under `community/{c}/…` of its communities, never on alert topics,
 *   and may read those communities' alerts;
 * - the hub reads everything under `community/` and alone publishes alerts.
 */
export class MqttAcl {
  constructor(private readonly registry: DeviceRegistry) {}

  deviceRoot(deviceId: string): string | undefined {
    const d = this.registry.get(deviceId);
    return d ? deviceTopicRoot(d.communityId, d.kind, d.id) : undefined;
  }

  canPublish(c: MqttCredential, topic: string): boolean {
    switch (c.type) {
      case 'device': {
        const root = this.deviceRoot(c.username);
        return root !== undefined && topic.startsWith(root) && KNOWN_CHANNELS.has(topic.slice(root.length));
      }
      case 'gateway': {
        const parts = topic.split('/');
        if (parts[0] !== 'community' || parts.length < 3 || parts[2] === 'alerts') return false;
        // The hub subscribes to device topics by channel: a five-level topic with another channel would vanish unseen.
        if (parts.length === 5 && !KNOWN_CHANNELS.has(parts[4]!)) return false;
        return c.communities.includes(ALL) || c.communities.includes(parts[1]!);
      }
      case 'hub':
        return topicMatches(HUB_PUBLISH, topic) || HUB_PUBLISH_CAMERAS.some((f) => topicMatches(f, topic));
    }
  }

  /** Only a status (online/offline) is state worth keeping for later subscribers. */
  mayRetain(topic: string): boolean {
    return topic.endsWith('/status');
  }

  canSubscribe(c: MqttCredential, filter: string): boolean {
    switch (c.type) {
      case 'device': {
        const root = this.deviceRoot(c.username);
        return root !== undefined && !isShared(filter) && filterWithin(filter, `${root}#`);
      }
      case 'gateway':
        if (isShared(filter)) return false;
        if (c.communities.includes(ALL)) return filterWithin(filter, 'community/+/alerts/+');
        return c.communities.some((community) => filterWithin(filter, `community/${community}/alerts/+`));
      case 'hub':
        return filterWithin(stripShare(filter), HUB_SUBSCRIBE);
    }
  }
}
