import type { Sql } from 'postgres';
import type { Alert } from '#devices';
import type { AlertChange } from '../alerts/changes.ts';
import type { AlertFilter, AlertStore } from '../alerts/repository.ts';
import { RateLimitedLog, type Logger } from '../log.ts';
import type { DeviceRuleState } from '../rules/types.ts';
import type { WebhookMessage } from '../notify/webhook-channel.ts';
import { fenced, LeaseLost } from './leases.ts';
import { insertMessage, unsentMessages } from './notifications.ts';
import { ALERT_CHANGE_CHANNEL, type AlertChangeNotice } from '../state/pg/alert-feed.ts';
import { PgAlertReads } from '../state/pg/alert-reads.ts';


export interface ClusterAlertStoreOptions {
  hubId: string;
  log: Logger;
  /** How often the view of other hubs' alerts is reloaded whole (the hub's PgAlertFeed keeps it fresh in between, through heard()). */
  refreshMs?: number;
  /** Pause between attempts while PostgreSQL is unreachable. */
  retryMs?: number;
  /** The robot messages an alert change sends: written in the change's own transaction. */
  messages?: (change: AlertChange) => WebhookMessage[];
  /** Hands messages to the sender: once their change is committed, and on takeover the unsent ones. */
  queue?: (messages: WebhookMessage[]) => void;
}

interface Batch {
  alerts: Map<string, Alert>;
  rules: Map<string, DeviceRuleState>;
  notices: AlertChangeNotice[];
  messages: WebhookMessage[];
  committed: (() => void)[];
  seq: number;
}

const emptyBatch = (seq: number): Batch => ({ alerts: new Map(), rules: new Map(), notices: [], messages: [], committed: [], seq });

/**
 * One leased community's writes, in commit order: what the hub changes in memory is gathered
 * and committed in one fenced transaction at a time (with its pg_notify and the robot messages
 * the changes send, unsent, so a holder that dies leaves them to the next one), and `committed()`
 * says when everything so far is in PostgreSQL (the events lane's PUBACKs wait for it). While
 * PostgreSQL is unreachable the batch is retried; a lost lease drops it (nothing is acked, so
 * the broker gives the messages to the next holder).
 */
export class CommunityWriter {
  private pending: Batch;
  private flushing = false;
  private closed = false;
  private seq = 0;
  private committedSeq = 0;
  private readonly waiters: { seq: number; resolve: () => void; reject: (err: Error) => void }[] = [];

  constructor(
    private readonly sql: Sql,
    private readonly hubId: string,
    readonly community: string,
    readonly epoch: number,
    private readonly log: RateLimitedLog,
    private readonly retryMs: number,
    private readonly onBroken?: (community: string) => void,
    private readonly queue?: (messages: WebhookMessage[]) => void,
  ) {
    this.pending = emptyBatch(0);
  }

  saveAlert(alert: Alert, change: string, committed?: () => void, messages: readonly WebhookMessage[] = []): void {
    if (this.closed) return;
    this.pending.alerts.set(alert.id, alert);
    this.pending.notices.push({ id: alert.id, communityId: alert.communityId, type: change, hub: this.hubId });
    this.pending.messages.push(...messages);
    if (committed) this.pending.committed.push(committed);
    this.touch();
  }

  saveRules(deviceId: string, state: DeviceRuleState): void {
    if (this.closed) return;
    this.pending.rules.set(deviceId, state);
    this.touch();
  }

  /** Resolves once everything handed over so far is committed; rejects if the lease is lost first. */
  committed(): Promise<void> {
    if (this.closed) return Promise.reject(new LeaseLost(this.community, this.epoch));
    if (this.committedSeq >= this.seq) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ seq: this.seq, resolve, reject }));
  }

  close(): void {
    this.closed = true;
    this.pending = emptyBatch(this.seq);
    for (const w of this.waiters.splice(0)) w.reject(new LeaseLost(this.community, this.epoch));
  }

  private touch(): void {
    this.pending.seq = ++this.seq;
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => void this.flush());
    }
  }

  private async flush(): Promise<void> {
    while (!this.closed && this.pending.seq > this.committedSeq) {
      const batch = this.pending;
      this.pending = emptyBatch(batch.seq);
      try {
        await this.write(batch);
      } catch (err) {
        if (err instanceof LeaseLost || this.closed) {
          this.log.warn('lease_lost_write', { community: this.community, epoch: this.epoch }, 'a write was refused: the lease is gone');
          this.close();
          break;
        }
        if (isIntegrityError(err)) {
          // Retrying cannot help: the memory disagrees with the shared state. Give the community up;
          // it is taken anew from PostgreSQL, and the broker redelivers what was not acknowledged.
          this.log.warn('integrity', { err: (err as Error).message, community: this.community }, 'alert state disagrees with PostgreSQL; giving the community up to reload it');
          this.close();
          this.onBroken?.(this.community);
          break;
        }
        this.log.warn('write_failed', { err: (err as Error).message, community: this.community }, 'writing alert state to PostgreSQL failed; retrying');
        // Newer changes of the same rows win; the rest of the failed batch goes first.
        this.pending = merge(batch, this.pending);
        await new Promise((r) => setTimeout(r, this.retryMs));
        continue;
      }
      this.committedSeq = batch.seq;
      if (batch.messages.length > 0) this.queue?.(batch.messages);
      for (const emit of batch.committed) emit();
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const w = this.waiters[i]!;
        if (w.seq <= this.committedSeq) {
          this.waiters.splice(i, 1);
          w.resolve();
        }
      }
    }
    this.flushing = false;
  }

  private write(batch: Batch): Promise<unknown> {
    const { community, epoch, hubId } = this;
    const now = Date.now();
    return this.sql.begin(async (tx) => {
      await fenced(tx, hubId, community, epoch);
      await Promise.all([
        ...[...batch.alerts.values()].map(
          (a) => tx`INSERT INTO alerts (id, community_id, cell_id, device_id, kind, type, severity, state, incident_id, opened_at, updated_at, epoch, data)
            VALUES (${a.id}, ${a.communityId}, ${a.gridCellId}, ${a.deviceId}, ${a.kind}, ${a.type}, ${a.severity}, ${a.state}, ${a.incidentId}, ${a.openedAt}, ${now}, ${epoch}, ${tx.json(a as never)})
            ON CONFLICT (id) DO UPDATE SET state = excluded.state, incident_id = excluded.incident_id, updated_at = excluded.updated_at, epoch = excluded.epoch, data = excluded.data`,
        ),
        ...[...batch.rules].map(
          ([deviceId, state]) => tx`INSERT INTO rule_memory (device_id, community_id, epoch, state) VALUES (${deviceId}, ${community}, ${epoch}, ${tx.json(state as never)})
            ON CONFLICT (device_id) DO UPDATE SET community_id = excluded.community_id, epoch = excluded.epoch, state = excluded.state`,
        ),
        ...batch.messages.map((m) => insertMessage(tx, community, epoch, m, now)),
      ]);
      // Delivered to the listeners on commit, never for a rolled-back write.
      for (const n of batch.notices) await tx`SELECT pg_notify(${ALERT_CHANGE_CHANNEL}, ${JSON.stringify(n)})`;
    });
  }
}

/** PostgreSQL's class 23: a constraint refused the row. */
const isIntegrityError = (err: unknown) => typeof (err as { code?: unknown }).code === 'string' && (err as { code: string }).code.startsWith('23');

function merge(older: Batch, newer: Batch): Batch {
  return {
    alerts: new Map([...older.alerts, ...newer.alerts]),
    rules: new Map([...older.rules, ...newer.rules]),
    notices: [...older.notices, ...newer.notices],
    messages: [...older.messages, ...newer.messages],
    committed: [...older.committed, ...newer.committed],
    seq: Math.max(older.seq, newer.seq),
  };
}

/**
 * Alerts on PostgreSQL for the cluster: the owned communities' writes go through their
 * CommunityWriter (fenced by the lease); reads of other hubs' communities come from a view of
 * the shared table (PgAlertReads), reloaded every few seconds and refreshed row by row by the
 * hub's one LISTEN on alert changes (PgAlertFeed, which calls heard()).
 */
export class ClusterAlertStore implements AlertStore {
  private readonly writers = new Map<string, CommunityWriter>();
  /** Every unresolved alert in the cluster, and the recently resolved, as last read. */
  private view = new Map<string, Alert>();
  private timer: NodeJS.Timeout | undefined;
  private readonly rlog: RateLimitedLog;
  private sql: Sql | undefined;
  private reads: PgAlertReads | undefined;

  constructor(private readonly o: ClusterAlertStoreOptions) {
    this.rlog = new RateLimitedLog(o.log);
  }

  private get db(): Sql {
    if (!this.sql) throw new Error('the cluster alert store is not open');
    return this.sql;
  }

  async start(sql: Sql): Promise<void> {
    this.sql = sql;
    this.reads = new PgAlertReads(sql);
    await this.reload();
    this.timer = setInterval(() => void this.reload().catch((err: unknown) => this.rlog.warn('reload', { err: (err as Error).message }, 'reading the shared alerts failed')), this.o.refreshMs ?? 3000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const w of this.writers.values()) w.close();
    this.writers.clear();
  }

  /**
   * Starts writing for a community taken over; returns what the hub resumes from, with the robot
   * messages committed by an earlier holder and never recorded sent (for `resend`).
   */
  async open(community: string, epoch: number, onBroken?: (community: string) => void): Promise<{ writer: CommunityWriter; alerts: Alert[]; rules: Map<string, DeviceRuleState>; unsent: WebhookMessage[] }> {
    this.writers.get(community)?.close();
    const writer = new CommunityWriter(this.db, this.o.hubId, community, epoch, this.rlog, this.o.retryMs ?? 500, onBroken, this.o.queue);
    this.writers.set(community, writer);
    const [alerts, rules, unsent] = await Promise.all([
      this.db<{ data: Alert }[]>`SELECT data FROM alerts WHERE community_id = ${community} AND state <> 'resolved'`,
      this.db<{ device_id: string; state: DeviceRuleState }[]>`SELECT device_id, state FROM rule_memory WHERE community_id = ${community}`,
      unsentMessages(this.db, community),
    ]);
    return { writer, alerts: alerts.map((r) => r.data), rules: new Map(rules.map((r) => [r.device_id, r.state])), unsent };
  }

  /** Queues messages loaded on takeover, once the hub acts for their community (claims check it). */
  resend(messages: WebhookMessage[]): void {
    if (messages.length > 0) this.o.queue?.(messages);
  }

  /** The lease is gone: pending writes are dropped, nothing more is written. */
  close(community: string): void {
    this.writers.get(community)?.close();
    this.writers.delete(community);
  }

  writer(community: string): CommunityWriter | undefined {
    return this.writers.get(community);
  }

  save(alert: Alert): void {
    this.put(alert, 'saved');
  }

  saveChange(change: AlertChange, committed?: () => void): void {
    // The messages are made now, from the alert as this change left it.
    this.put(change.alert, change.type, committed, () => this.o.messages?.(change) ?? []);
  }

  private put(alert: Alert, change: string, committed?: () => void, messages?: () => WebhookMessage[]): void {
    const writer = this.writers.get(alert.communityId);
    if (!writer) {
      this.rlog.warn('not_owned', { community: alert.communityId, alertId: alert.id }, 'an alert change for a community this hub does not hold was dropped');
      return;
    }
    this.view.set(alert.id, alert);
    writer.saveAlert(alert, change, committed, messages?.());
  }

  othersUnresolved(): Alert[] {
    return [...this.view.values()].filter((a) => a.state !== 'resolved' && !this.writers.has(a.communityId));
  }

  loadUnresolved(): Alert[] {
    // Nothing is owned before a lease is acquired (open()).
    return [];
  }

  get(id: string): Alert | undefined {
    return this.view.get(id);
  }

  list(f: AlertFilter): Alert[] {
    const found = [...this.view.values()].filter(
      (a) =>
        (!f.state || a.state === f.state) &&
        (!f.communityId || a.communityId === f.communityId) &&
        (!f.gridCellId || a.gridCellId === f.gridCellId) &&
        (!f.deviceId || a.deviceId === f.deviceId) &&
        (!f.incidentId || a.incidentId === f.incidentId),
    );
    return found.sort((a, b) => b.openedAt - a.openedAt).slice(0, f.limit ?? 1000);
  }

  openedSince(since: number): Alert[] {
    return [...this.view.values()].filter((a) => a.openedAt >= since);
  }

  /** Unresolved alerts, and those resolved in the last day, of every community. */
  private async reload(): Promise<void> {
    const rows = await this.reads!.recent(Date.now() - 86_400_000);
    const next = new Map(rows.map((a) => [a.id, a]));
    // The owned communities' alerts are newest in memory.
    for (const [id, a] of this.view) if (this.writers.has(a.communityId)) next.set(id, a);
    this.view = next;
  }

  /** Another hub's alert change, as the hub's live feed read it. */
  heard(alert: Alert): void {
    if (!this.writers.has(alert.communityId)) this.view.set(alert.id, alert);
  }
}
