import { isValidId } from '#devices';
import type { IngestRejectReason, RejectedMessage, RejectLog } from '../ingest/rejects.ts';
import type { DeviceRegistry } from '../registry/devices.ts';
import type { CallerScope } from './caller-scope.ts';

/**
 * The communities a rejected message concerns: its topic's, and the registered device's when
 * that differs (a device publishing under another community's topic). Undefined when the
 * topic does not say (then only the unrestricted may see it: its payload could be anyone's).
 */
function communitiesOf(registry: Pick<DeviceRegistry, 'get'>, topic: string): string[] | undefined {
  const parts = topic.split('/');
  if (parts[0] !== 'community' || parts.length < 5 || !isValidId(parts[1]!)) return undefined;
  const communities = [parts[1]!];
  const device = isValidId(parts[3]!) ? registry.get(parts[3]!) : undefined;
  if (device && device.communityId !== parts[1]) communities.push(device.communityId);
  return communities;
}

export interface RejectedView {
  total: number;
  byReason: Partial<Record<IngestRejectReason, number>>;
  recent: RejectedMessage[];
  scoped?: true;
}

/** GET /api/ingest/rejected: the last rejected messages and counts by reason, within the caller's communities. */
export function rejectedFor(rejects: RejectLog, registry: Pick<DeviceRegistry, 'get'>, limit: number, scope: CallerScope): RejectedView {
  if (scope.unrestricted) return { total: rejects.total(), byReason: Object.fromEntries(rejects.counts), recent: rejects.recent(limit) };
  // Hub-wide counters would reveal other communities' traffic: a scoped caller gets counts over what it may see.
  const mine = rejects.recent(Number.MAX_SAFE_INTEGER).filter((m) => {
    const communities = communitiesOf(registry, m.topic);
    return !!communities && scope.communitiesWhole(communities);
  });
  const byReason: Partial<Record<IngestRejectReason, number>> = {};
  for (const m of mine) byReason[m.reason] = (byReason[m.reason] ?? 0) + 1;
  return { total: mine.length, byReason, recent: mine.slice(0, limit), scoped: true };
}
