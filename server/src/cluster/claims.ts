import type { Sql, TransactionSql } from 'postgres';
import type { Logger } from '../log.ts';
import type { SendClaims } from '../notify/outbox.ts';
import { fenced, LeaseLost } from './leases.ts';

export interface FencedClaimsDeps {
  sql: Sql;
  hubId: string;
  /** The epoch this hub acts under for the community now, if any. */
  epochOf: (community: string) => number | undefined;
  /** Pause between attempts to record a sent message while PostgreSQL is unreachable. */
  retryMs?: number;
  /** A hub whose heartbeat is younger than this is alive (the lease ttl). */
  liveMs?: number;
  log?: Logger;
}

/** A message's shared row, not sent yet: its community, and the last attempt's `hub@epoch`, if any. */
export interface UnsentRow {
  community: string;
  lastClaimant: string | null;
}

/**
 * How long a new holder waits before sending again a message another hub, still alive, claimed
 * and never recorded: that hub may have sent it and be recording it now (it could not while
 * PostgreSQL was away). A dead hub's (no heartbeat) is sent at once.
 */
const LIVE_CLAIMANT_GRACE_MS = 5000;

/** A claim is a few short statements; one not done by then is tried again (it may hold a delivery slot). */
const CLAIM_DEADLINE_MS = 5000;

/**
 * Exactly-once delivery across hubs, for both outboxes (robots: notifications.ts; people:
 * person-claims.ts): before an attempt, the message's shared row (written unsent with its alert
 * change) is claimed, fenced by the community's lease; a row already sent, or a community this
 * hub does not hold, drops the attempt. Within this hub one attempt per message at a time: a copy
 * queued twice (a community taken back) waits, then finds it sent. A sent message is recorded
 * until PostgreSQL takes it, so it is not sent again. Each attempt is listed in the row's
 * `claimed_by` (`hub@epoch`).
 */
export abstract class FencedClaims<I extends { id: number }> implements SendClaims<I> {
  private readonly claimed = new Map<number, { community: string; epoch: number }>();
  /** Messages with an attempt in flight, or sent and not yet recorded. */
  private readonly busy = new Set<string>();
  /** When this hub first found a message claimed by another live hub, by message. */
  private readonly deferredSince = new Map<string, number>();

  constructor(protected readonly d: FencedClaimsDeps) {}

  /** The message's identity across hubs. */
  protected abstract key(item: I): string;
  /** Its row, if not sent yet (or, for a message with no row, where it would go). */
  protected abstract unsent(tx: TransactionSql, item: I): Promise<UnsentRow | undefined>;
  /** Adds the attempt to the row, inside the fenced transaction; false if it was sent meanwhile. */
  protected abstract mark(tx: TransactionSql, item: I, community: string, epoch: number, claimant: string): Promise<boolean>;
  /** Records it sent (not fenced: it is a fact). */
  protected abstract recordSent(sql: Sql, item: I, epoch: number | null, sentAt: number): Promise<unknown>;
  /** For the log. */
  protected abstract readonly what: string;

  async claim(item: I): Promise<'send' | 'drop' | 'later'> {
    const key = this.key(item);
    if (this.busy.has(key)) return 'later';
    this.busy.add(key);
    const { sql, hubId } = this.d;
    try {
      const got = await deadline(sql.begin(async (tx) => {
        const row = await this.unsent(tx, item);
        const epoch = row && this.d.epochOf(row.community);
        if (!row || epoch === undefined) return undefined;
        if (row.lastClaimant && !row.lastClaimant.startsWith(`${hubId}@`) && (await this.claimantLive(tx, row.lastClaimant))) {
          const since = this.deferredSince.get(key) ?? Date.now();
          this.deferredSince.set(key, since);
          if (Date.now() - since < LIVE_CLAIMANT_GRACE_MS) return 'later' as const;
        }
        this.deferredSince.delete(key);
        await fenced(tx, hubId, row.community, epoch);
        return (await this.mark(tx, item, row.community, epoch, `${hubId}@${epoch}`)) ? { community: row.community, epoch } : undefined;
      }), CLAIM_DEADLINE_MS);
      if (got === 'later') {
        this.busy.delete(key);
        return 'later';
      }
      if (!got) {
        this.busy.delete(key);
        this.deferredSince.delete(key);
        return 'drop';
      }
      this.claimed.set(item.id, got);
      return 'send';
    } catch (err) {
      this.busy.delete(key);
      if (err instanceof ClaimTimedOut) this.d.log?.warn({ key }, `claiming ${this.what} got no answer from PostgreSQL; trying again`);
      return err instanceof LeaseLost ? 'drop' : 'later';
    }
  }

  stillHeld(item: I): boolean {
    const c = this.claimed.get(item.id);
    const held = c !== undefined && this.d.epochOf(c.community) === c.epoch;
    if (!held) this.failed(item);
    return held;
  }

  failed(item: I): void {
    this.claimed.delete(item.id);
    this.busy.delete(this.key(item));
  }

  /** Returns at once; the record is retried until PostgreSQL takes it. */
  async sent(item: I): Promise<void> {
    const epoch = this.claimed.get(item.id)?.epoch ?? null;
    this.claimed.delete(item.id);
    void this.record(item, epoch, Date.now());
  }

  private async record(item: I, epoch: number | null, sentAt: number): Promise<void> {
    // Retried often, not backing off: another holder waits only LIVE_CLAIMANT_GRACE_MS for it.
    for (;;) {
      try {
        await this.recordSent(this.d.sql, item, epoch, sentAt);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, this.d.retryMs ?? 250));
      }
    }
    this.busy.delete(this.key(item));
  }

  /** The last attempt was another hub's, and that hub still beats. */
  private async claimantLive(tx: TransactionSql, claimant: string): Promise<boolean> {
    const [row] = await tx<{ live: boolean }[]>`SELECT EXISTS (SELECT 1 FROM hub_members m
      WHERE m.hub_id = regexp_replace(${claimant}, '@[0-9]+$', '') AND m.hub_id <> ${this.d.hubId}
        AND m.heartbeat_at > now() - ${`${this.d.liveMs ?? 10_000} milliseconds`}::interval) AS live`;
    return row?.live ?? false;
  }
}

class ClaimTimedOut extends Error {}

function deadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new ClaimTimedOut(`no answer in ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}
