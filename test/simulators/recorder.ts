import type { LinkFactory } from '../../simulators/community/index.ts';

export interface Recorded {
  clientId: string;
  topic: string;
  payload: string;
  retain: boolean;
}

/** Links that keep every publish in memory instead of talking MQTT; severs are recorded too. */
export function recordingLinks(): { links: LinkFactory; log: Recorded[]; wills: Map<string, string> } {
  const log: Recorded[] = [];
  const wills = new Map<string, string>();
  const links: LinkFactory = async (clientId, will, stats, _communityId) => {
    if (will) wills.set(clientId, will.topic);
    return {
      publish(topic, payload, opts) {
        stats.sent++;
        stats.acked++;
        log.push({ clientId, topic, payload, retain: opts.retain ?? false });
      },
      inflight: () => 0,
      close: async () => {},
      sever() {
        log.push({ clientId, topic: will?.topic ?? '', payload: '<socket severed: last will>', retain: true });
      },
    };
  };
  return { links, log, wills };
}
