import { RateLimitedLog, type Logger } from '../log.ts';

export const RESIDENT_REJECT_REASONS = ['unknown_community', 'bad_input', 'bad_photo', 'too_large', 'ip_flood', 'community_flood'] as const;
export type ResidentRejectReason = (typeof RESIDENT_REJECT_REASONS)[number];

export interface ResidentGuardOptions {
  /** reports a community takes per hour from its public form, all senders together */
  perCommunityPerHour: number;
  clock: () => number;
  log: Logger;
}

const HOUR = 3_600_000;

/**
 * The public form has no accounts: a flood from many addresses is capped per community (the
 * per-address limit is the route's rate limit), and every refusal is counted by reason and
 * logged at most once per interval per reason.
 */
export class ResidentReportGuard {
  private readonly recent = new Map<string, number[]>();
  private readonly counts = new Map<ResidentRejectReason, number>();
  private readonly log: RateLimitedLog;

  constructor(private readonly o: ResidentGuardOptions) {
    this.log = new RateLimitedLog(o.log, 10_000, o.clock);
  }

  /** Takes one report of the community's hourly budget; false (and counted) when it is spent. */
  admit(communityId: string, ip: string): boolean {
    const now = this.o.clock();
    const times = (this.recent.get(communityId) ?? []).filter((t) => now - t < HOUR);
    if (times.length >= this.o.perCommunityPerHour) {
      this.recent.set(communityId, times);
      this.reject('community_flood', { communityId, ip });
      return false;
    }
    times.push(now);
    this.recent.set(communityId, times);
    return true;
  }

  reject(reason: ResidentRejectReason, detail: Record<string, unknown>): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
    this.log.warn(`resident_${reason}`, detail, 'refused a resident report');
  }

  byReason(): Partial<Record<ResidentRejectReason, number>> {
    return Object.fromEntries(this.counts);
  }
}
