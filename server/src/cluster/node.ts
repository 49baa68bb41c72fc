import type { Sql } from 'postgres';
import type { SubscriptionLane } from '#devices';
import type { AlertService } from '../alerts/service.ts';
import type { InboundMessage } from '../ingest/batch-subscriber.ts';
import { MqttAdapter, type MqttAdapterOptions } from '../ingest/mqtt.ts';
import type { Logger } from '../log.ts';
import type { RuleEngine } from '../rules/engine.ts';
import type { ClusterAlertStore } from './alert-store.ts';
import { LeaseManager } from './leases.ts';

export interface ClusterNodeOptions {
  sql: Sql;
  hubId: string;
  ttlMs: number;
  communities: readonly string[];
  store: ClusterAlertStore;
  alerts: AlertService;
  rules: RuleEngine;
  log: Logger;
  /** The MQTT connection settings every community session shares (url, login, CA, metrics). */
  mqtt: Omit<MqttAdapterOptions, 'clientId' | 'communities' | 'onBatch' | 'log' | 'sharedGroup' | 'subscribe'>;
  /** The ingest entry (SpoolFlow.onBatch). */
  onBatch: (messages: InboundMessage[], ack: () => void, lane: SubscriptionLane) => void;
}

/** A community's MQTT session: named after the community only, so any holder resumes the same one. */
export const communityClientId = (community: string) => `hub-cluster-${community}`;

/**
 * One hub in cluster mode: holds communities by lease, and for each one held resumes its alerts
 * and rule memory from PostgreSQL, then opens that community's persistent MQTT session (the
 * messages queued while nobody held it arrive now; a stale holder's connection is taken over by
 * the broker). Losing a lease drops the community from memory and closes its session at once.
 */
export class ClusterNode {
  readonly leases: LeaseManager;
  private readonly sessions = new Map<string, MqttAdapter>();
  /** The epoch each community's state was resumed under: the hub acts for it only from then on. */
  private readonly resumed = new Map<string, number>();
  private readonly log: Logger;

  constructor(private readonly o: ClusterNodeOptions) {
    this.log = o.log;
    this.leases = new LeaseManager({
      sql: o.sql,
      hubId: o.hubId,
      communities: o.communities,
      ttlMs: o.ttlMs,
      log: o.log,
      onAcquired: (c, epoch) => this.acquire(c, epoch),
      onLost: (c) => this.lose(c),
    });
  }

  owns(community: string): boolean {
    const epoch = this.leases.epoch(community);
    return epoch !== undefined && this.resumed.get(community) === epoch;
  }

  /** Communities held now, with the MQTT session state of each. */
  status(): { hubId: string; communities: { id: string; epoch: number; connected: boolean }[] } {
    return {
      hubId: this.o.hubId,
      communities: [...this.leases.holdings()].map(([id, epoch]) => ({ id, epoch, connected: this.sessions.get(id)?.connected ?? false })),
    };
  }

  async start(): Promise<void> {
    await this.leases.start();
  }

  async stop(): Promise<void> {
    await this.leases.stop();
    await Promise.all([...this.sessions.values()].map((s) => s.stop()));
    this.sessions.clear();
  }

  private async acquire(community: string, epoch: number): Promise<void> {
    const startedAt = Date.now();
    const { alerts, rules, writer, unsent } = await this.o.store.open(community, epoch, (c) => void this.leases.release(c));
    // The lease may have gone while the state loaded (takeovers run beside the renewals).
    if (this.leases.epoch(community) !== epoch) {
      if (this.o.store.writer(community) === writer) this.o.store.close(community);
      return;
    }
    this.o.alerts.adopt(alerts);
    this.o.rules.adopt(rules);
    this.resumed.set(community, epoch);
    // Committed by an earlier holder that died (or was cut off) before sending them.
    this.o.store.resend(unsent);
    const session = new MqttAdapter({
      ...this.o.mqtt,
      clientId: communityClientId(community),
      communities: [community],
      log: this.log.child({ component: 'mqtt', community }),
      // Events are acknowledged to the broker only once the alert changes they caused are committed:
      // a hub killed in between leaves them unacknowledged, and the next holder receives them.
      onBatch: (messages, ack, lane) =>
        this.o.onBatch(messages, lane === 'events' ? () => void writer.committed().then(() => this.ackIfHeld(community, epoch, ack), () => {}) : ack, lane),
    });
    this.sessions.set(community, session);
    void session.start();
    this.log.info({ community, epoch, alerts: alerts.length, ruleMemory: rules.size, unsentMessages: unsent.length, ms: Date.now() - startedAt }, 'took over community');
  }

  /** A lease that lapsed meanwhile may have dropped what these messages caused: they stay unacknowledged. */
  private ackIfHeld(community: string, epoch: number, ack: () => void): void {
    if (this.leases.epoch(community) === epoch && this.resumed.get(community) === epoch) ack();
  }

  private async lose(community: string): Promise<void> {
    this.resumed.delete(community);
    this.o.store.close(community);
    this.o.alerts.drop(community);
    this.o.rules.drop(community);
    const session = this.sessions.get(community);
    this.sessions.delete(community);
    await session?.stop();
  }
}
