import { performance } from 'node:perf_hooks';
import type { Sql, TransactionSql } from 'postgres';
import type { Logger } from '../log.ts';
import { HUB_APPLICATION } from '../state/pg/connect.ts';

/** A community this hub may act for, until `validUntil` on the monotonic clock. */
export interface HeldLease {
  epoch: number;
  validUntil: number;
}

export interface LeaseManagerOptions {
  sql: Sql;
  hubId: string;
  /** The communities the cluster shares out (the config file's). */
  communities: readonly string[];
  ttlMs: number;
  log: Logger;
  onAcquired?: (community: string, epoch: number) => void | Promise<void>;
  onLost?: (community: string) => void | Promise<void>;
}

export class LeaseLost extends Error {
  constructor(readonly community: string, readonly epoch: number) {
    super(`the lease on community ${community} (epoch ${epoch}) is no longer this hub's`);
  }
}

/**
 * Community ownership by lease in PostgreSQL. Every renew tick (ttl/3): a heartbeat, the own
 * leases renewed (epoch unchanged), expired or free leases claimed up to the fair share
 * (epoch + 1 on every claim, one conditional UPDATE so two hubs cannot both win), and leases
 * above the fair share released (a hub joining gets its share without waiting for a failure).
 *
 * Expiry uses the database's clock. Locally a lease counts as lost once the last successful
 * renew is older than the ttl minus a safety margin (monotonic clock), so a paused or cut-off
 * hub stops acting before anyone else can claim; the fence (fenced()) stops its writes anyway.
 * A lease that lapsed here while the database still names this hub is claimed again at once, at
 * epoch + 1, so whatever was in flight under the old epoch is fenced out.
 */
export class LeaseManager {
  private readonly held = new Map<string, HeldLease>();
  private timer: NodeJS.Timeout | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private readonly takeovers = new Set<Promise<void>>();
  private stopped = true;
  private lastError = '';

  constructor(private readonly o: LeaseManagerOptions) {}

  get hubId(): string {
    return this.o.hubId;
  }

  /** The margin a renew must beat: a tenth of the ttl, at least 200 ms. */
  private get safetyMs(): number {
    return Math.max(200, Math.floor(this.o.ttlMs / 10));
  }

  /** The lease's epoch when this hub may still act for the community, else undefined. */
  epoch(community: string): number | undefined {
    const h = this.held.get(community);
    return h && performance.now() < h.validUntil ? h.epoch : undefined;
  }

  /** Communities held now, with their epochs. */
  holdings(): Map<string, number> {
    const now = performance.now();
    return new Map([...this.held].filter(([, h]) => now < h.validUntil).map(([c, h]) => [c, h.epoch]));
  }

  async start(): Promise<void> {
    this.stopped = false;
    const { sql, communities } = this.o;
    if (communities.length > 0) {
      await sql`INSERT INTO community_leases (community_id) SELECT unnest(${sql.array([...communities])}::text[]) ON CONFLICT DO NOTHING`;
    }
    // Leases this hub id held before it restarted: what it knew of them is gone, so they are claimed anew (epoch + 1).
    await sql`UPDATE community_leases SET holder = NULL, expires_at = '-infinity' WHERE holder = ${this.o.hubId}`;
    await this.tick();
    this.timer = setInterval(() => void this.tick(), Math.max(50, Math.floor(this.o.ttlMs / 3)));
    this.checkTimer = setInterval(() => this.expireLocally(), Math.max(20, Math.min(500, Math.floor(this.o.ttlMs / 20))));
  }

  /** Stops renewing and gives every lease back, so another hub takes them at once. */
  async stop({ release = true } = {}): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.checkTimer);
    await this.ticking;
    await Promise.all(this.takeovers);
    const mine = [...this.held.keys()];
    for (const c of mine) await this.lose(c);
    if (release) {
      await this.o.sql`UPDATE community_leases SET holder = NULL, expires_at = '-infinity' WHERE holder = ${this.o.hubId}`.catch(() => {});
      await this.o.sql`DELETE FROM hub_members WHERE hub_id = ${this.o.hubId}`.catch(() => {});
    }
  }

  /** One renew round; rounds never overlap. */
  tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.round()
      .catch((err: unknown) => {
        const message = (err as Error).message;
        if (message !== this.lastError) this.o.log.warn({ err: message }, 'renewing community leases failed; leases lapse locally at their deadline');
        this.lastError = message;
      })
      .finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async round(): Promise<void> {
    const { sql, hubId, ttlMs } = this.o;
    const sentAt = performance.now();
    const ttl = `${ttlMs} milliseconds`;
    const { renewed, live } = await sql.begin(async (tx) => {
      // The renew UPDATE row-locks this hub's leases: frozen before COMMIT, it would keep every
      // other hub's claim (FOR UPDATE SKIP LOCKED) off them for good.
      await abortIfStalled(tx);
      await tx`INSERT INTO hub_members (hub_id, heartbeat_at) VALUES (${hubId}, now()) ON CONFLICT (hub_id) DO UPDATE SET heartbeat_at = now()`;
      const renewed = await tx<{ community_id: string; epoch: number }[]>`
        UPDATE community_leases SET expires_at = now() + ${ttl}::interval
        WHERE holder = ${hubId} AND expires_at > now() AND community_id = ANY(${tx.array([...this.held.keys()])}::text[])
        RETURNING community_id, epoch`;
      const [m] = await tx<{ n: number }[]>`SELECT count(*)::int AS n FROM hub_members WHERE heartbeat_at > now() - ${ttl}::interval`;
      return { renewed, live: Math.max(1, m?.n ?? 1) };
    });
    if (this.stopped) return;
    this.lastError = '';
    const validUntil = sentAt + ttlMs - this.safetyMs;
    const still = new Map(renewed.map((r) => [r.community_id, r.epoch]));
    // A lease that lapsed locally stays lost even if a late renew got through: it is claimed anew (epoch + 1).
    this.expireLocally();
    for (const [c, h] of [...this.held]) {
      if (still.get(c) === h.epoch && performance.now() < validUntil) h.validUntil = validUntil;
      else await this.lose(c);
    }
    const fair = Math.ceil(this.o.communities.length / live);
    if (this.held.size > fair) {
      const extra = [...this.held.keys()].sort().slice(fair);
      for (const c of extra) await this.lose(c);
      await sql`UPDATE community_leases SET holder = NULL, expires_at = '-infinity' WHERE holder = ${hubId} AND community_id = ANY(${sql.array(extra)}::text[])`;
      this.o.log.info({ released: extra, fair, live }, 'released communities above the fair share');
    } else if (this.held.size < fair) {
      // A holder frozen mid-statement (its pipeline half sent) is not idle in its transaction, so
      // PostgreSQL never aborts it, and its fence lock keeps the lapsed lease from every claim:
      // the sessions of a hub whose leases lapsed a ttl ago are cut off.
      await sql`SELECT pg_terminate_backend(a.pid) FROM pg_stat_activity a
        WHERE a.xact_start < now() - ${ttl}::interval AND a.application_name IN (
          SELECT ${HUB_APPLICATION} || '/' || holder FROM community_leases WHERE holder IS NOT NULL AND holder <> ${hubId} AND expires_at <= now() - ${ttl}::interval)`;
      const claimedAt = performance.now();
      const claimed = await sql<{ community_id: string; epoch: number }[]>`
        UPDATE community_leases l SET holder = ${hubId}, epoch = l.epoch + 1, expires_at = now() + ${ttl}::interval
        FROM (SELECT community_id FROM community_leases
              WHERE community_id = ANY(${sql.array([...this.o.communities])}::text[])
                AND (holder IS NULL OR expires_at <= now() OR holder = ${hubId}) AND NOT (community_id = ANY(${sql.array([...this.held.keys()])}::text[]))
              ORDER BY community_id LIMIT ${fair - this.held.size} FOR UPDATE SKIP LOCKED) free
        WHERE l.community_id = free.community_id AND (l.holder IS NULL OR l.expires_at <= now() OR l.holder = ${hubId})
        RETURNING l.community_id, l.epoch`;
      for (const r of claimed) {
        this.held.set(r.community_id, { epoch: r.epoch, validUntil: claimedAt + ttlMs - this.safetyMs });
        this.o.log.info({ community: r.community_id, epoch: r.epoch, fair, live }, 'acquired community lease');
        const takeover = this.takeOver(r.community_id, r.epoch).finally(() => this.takeovers.delete(takeover));
        this.takeovers.add(takeover);
      }
    }
  }

  /**
   * Beside the renew rounds, not inside them: a takeover slowed by a loaded database (loading a
   * backlog after a PostgreSQL restart took seconds a community) held the round, so the
   * heartbeat and the other leases' renewals, past the ttl; the hubs then saw each other dead
   * and took each other's communities in turn.
   */
  private async takeOver(community: string, epoch: number): Promise<void> {
    try {
      await this.o.onAcquired?.(community, epoch);
    } catch (err) {
      if (this.held.get(community)?.epoch !== epoch) return;
      this.o.log.error({ err, community }, 'taking over a community failed; giving it back');
      await this.lose(community);
      await this.o.sql`UPDATE community_leases SET holder = NULL, expires_at = '-infinity' WHERE holder = ${this.o.hubId} AND community_id = ${community}`.catch(() => {});
    }
  }

  /** Gives one community back (its state here is broken): another hub, or this one, claims it anew. */
  async release(community: string): Promise<void> {
    if (!this.held.has(community)) return;
    await this.lose(community);
    await this.o.sql`UPDATE community_leases SET holder = NULL, expires_at = '-infinity' WHERE holder = ${this.o.hubId} AND community_id = ${community}`.catch(() => {});
  }

  private expireLocally(): void {
    const now = performance.now();
    for (const [c, h] of this.held) if (now >= h.validUntil) void this.lose(c);
  }

  private async lose(community: string): Promise<void> {
    if (!this.held.delete(community)) return;
    this.o.log.warn({ community }, 'community lease lost; stopped acting for it');
    try {
      await this.o.onLost?.(community);
    } catch (err) {
      this.o.log.error({ err, community }, 'dropping a lost community failed');
    }
  }
}

/** Far below any lease ttl, far above a healthy transaction's gaps between statements. */
const FENCE_STALL_MS = 1000;

/**
 * A holder frozen mid-transaction (SIGSTOP, a stalled VM) would hold its row locks, and so the
 * takeover, forever: the server aborts this transaction once it is left idle this long.
 */
export async function abortIfStalled(tx: TransactionSql, stallMs = FENCE_STALL_MS): Promise<void> {
  await tx`SELECT set_config('idle_in_transaction_session_timeout', ${`${stallMs}ms`}, true)`;
}

/**
 * The fence every cluster-mode state write and notification claim runs inside its transaction:
 * the row lock (FOR SHARE) holds a takeover back until this transaction ends, and no row (a
 * lost, expired or newer lease) throws LeaseLost, which rolls the transaction back.
 */
export async function fenced(tx: TransactionSql, hubId: string, community: string, epoch: number, stallMs = FENCE_STALL_MS): Promise<void> {
  await abortIfStalled(tx, stallMs);
  const rows = await tx`SELECT 1 FROM community_leases
    WHERE community_id = ${community} AND holder = ${hubId} AND epoch = ${epoch} AND expires_at > now() FOR SHARE`;
  if (rows.length === 0) throw new LeaseLost(community, epoch);
}
