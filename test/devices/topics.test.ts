import { describe, expect, it } from 'vitest';
import { isAlertTopic, alertTopic, deviceTopic, parseDeviceTopic, hubSubscriptions, KINDS } from '#devices';
import { topicMatches } from '../../server/src/auth/topic-filter.ts';

describe('device topics', () => {
  it('round-trips every kind and channel', () => {
    for (const kind of KINDS) {
      for (const channel of ['telemetry', 'event', 'status'] as const) {
        const t = { communityId: 'c-1', kind, deviceId: 'dev_9', channel };
        expect(parseDeviceTopic(deviceTopic(t))).toEqual(t);
      }
    }
  });

  it.each([
    ['community/c1/smoke/s1', 'bad_depth'],
    ['community/c1/smoke/s1/telemetry/extra', 'bad_depth'],
    ['communities/c1/smoke/s1/telemetry', 'bad_prefix'],
    ['community/c1/toaster/s1/telemetry', 'unknown_kind'],
    ['community/c1/smoke/s1/debug', 'unknown_channel'],
    ['community/c 1/smoke/s1/telemetry', 'bad_id'],
    ['community/c1/smoke/s1#/telemetry', 'bad_id'],
    ['community//smoke/s1/telemetry', 'bad_id'],
    [`community/c1/smoke/${'x'.repeat(65)}/telemetry`, 'bad_id'],
    ['community/c1/alerts/a1', 'bad_depth'],
  ])('rejects %s as %s', (topic, reason) => {
    expect(parseDeviceTopic(topic)).toBe(reason);
  });

  it('builds the alert topic and subscription filters', () => {
    expect(alertTopic('c1', 'a-1')).toBe('community/c1/alerts/a-1');
    expect(hubSubscriptions('events')).toEqual(['community/+/+/+/event', 'community/+/+/+/status']);
    expect(hubSubscriptions('telemetry')).toEqual(['community/+/+/+/telemetry', 'community/+', 'community/+/+', ...KINDS.map((k) => `community/+/${k}/+`), 'community/+/+/+/+/+/#']);
    expect(hubSubscriptions('events', ['c1', 'c2'])).toEqual(['community/c1/+/+/event', 'community/c1/+/+/status', 'community/c2/+/+/event', 'community/c2/+/+/status']);
    expect(isAlertTopic('community/c1/alerts/a-1')).toBe(true);
    expect(isAlertTopic('community/c1/smoke/s1/event')).toBe(false);
  });

  it("no filter of the hub's matches its own alert topic; malformed device topics of other depths still match one", () => {
    for (const communities of [undefined, ['c1']]) {
      const filters = [...hubSubscriptions('events', communities), ...hubSubscriptions('telemetry', communities)];
      const seen = (topic: string) => filters.some((f) => topicMatches(f, topic));
      expect(seen(alertTopic('c1', 'a-1')), 'alert topic').toBe(false);
      for (const topic of ['community/c1', 'community/c1/smoke', 'community/c1/smoke/s1', 'community/c1/gate/g1', 'community/c1/smoke/s1/telemetry/extra', 'community/c1/smoke/s1/event', 'community/c1/smoke/s1/status', 'community/c1/smoke/s1/telemetry']) {
        expect(seen(topic), topic).toBe(true);
      }
    }
  });
});
