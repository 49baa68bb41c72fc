import type https from 'node:https';
import type Database from 'better-sqlite3';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Alert } from '#devices';
import type { AlertService } from '../../alerts/service.ts';
import { AlertErrors } from '../../alerts/errors.ts';
import { applyAlertCommand, type AlertCommand } from '../../cluster/commands.ts';
import type { AuditStore } from '../../auth/audit.ts';
import { principalFor, type UserRecord } from '../../auth/roles.ts';
import type { UserRepository } from '../../auth/users.ts';
import type { LoadedConfigFile } from '../../grid/config-file.ts';
import type { GridModel } from '../../grid/model.ts';
import type { Logger } from '../../log.ts';
import type { HubMetrics } from '../../metrics.ts';
import type { DeviceRegistry } from '../../registry/devices.ts';
import { AckLinks, type AckRefusal } from './ack-links.ts';
import { DeliveryLadder } from './ladder.ts';
import { PersonOutbox, type ChannelHealth, type PersonOutboxOptions } from './outbox.ts';
import { PeopleChannel } from './people-channel.ts';
import { alertPlace } from './place.ts';
import type { PersonChannelName, PersonTransport } from './transport.ts';
import { personTransports } from './transports.ts';
import { PushSubscriptions } from './webpush/subscriptions.ts';
import { WebPushTransport } from './webpush/transport.ts';
import { loadVapidKeys, type VapidKeys } from './webpush/vapid-keys.ts';

export interface PeopleDeliveryDeps {
  db: Database.Database;
  dataDir: string;
  file: LoadedConfigFile;
  grid: GridModel;
  registry: Pick<DeviceRegistry, 'get'>;
  users: Pick<UserRepository, 'list'>;
  audit: Pick<AuditStore, 'record'>;
  alerts: AlertService;
  metrics: HubMetrics;
  log: Logger;
  clock: () => number;
  /** the hub's address as phones reach it, when the config file gives none */
  hubUrl: () => string;
  /** Cluster mode: an action on an alert, run by its community's holder (cluster/commands.ts); this hub's AlertService otherwise. */
  act?: (alert: Alert, actor: string, cmd: AlertCommand) => Promise<Alert>;
  /** tests: the outbox's timings, and an agent that trusts a local push service */
  outbox?: Partial<PersonOutboxOptions>;
  pushAgent?: https.Agent;
}

const DEFAULT_VAPID_SUBJECT = 'mailto:safety-hub@community.invalid';

/**
 * Delivery to people, assembled: the outbox and its transports (Web Push and those of
 * transports.ts), the ladder, the acknowledgement links, the notification channel, and what
 * /healthz and /metrics say about them. start() makes the keys (DATA_DIR) and starts the
 * transports; the channel (started by the dispatcher) starts the outbox.
 */
export class PeopleDelivery {
  readonly outbox: PersonOutbox;
  readonly ackLinks: AckLinks;
  readonly subscriptions: PushSubscriptions;
  readonly channel: PeopleChannel;
  /** which channels a role hears on at a level: alerts' and cases' */
  readonly ladder: DeliveryLadder;
  private vapidKeys: VapidKeys | undefined;
  private readonly m;

  constructor(private readonly d: PeopleDeliveryDeps) {
    const config = d.file.delivery ?? {};
    this.outbox = new PersonOutbox(d.db, d.log, d.clock, d.outbox);
    this.ackLinks = new AckLinks(d.db, d.dataDir, d.clock, (config.ackLinkTtlS ?? 86400) * 1000);
    this.subscriptions = new PushSubscriptions(d.db, d.clock);
    const registers = [d.metrics.registry];
    this.m = {
      outcomes: new Counter({ name: 'hub_people_deliveries_total', help: 'Delivery attempts to people, by channel and outcome (sent, retrying, failed)', labelNames: ['channel', 'outcome'] as const, registers }),
      latency: new Histogram({ name: 'hub_people_delivery_seconds', help: 'From queued to sent, by channel', labelNames: ['channel'] as const, buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300], registers }),
      refused: new Counter({ name: 'hub_ack_links_refused_total', help: 'Acknowledgement links refused, by reason', labelNames: ['reason'] as const, registers }),
      acks: new Counter({ name: 'hub_people_acknowledgements_total', help: 'Alerts acknowledged from a channel (link or callback), by channel', labelNames: ['channel'] as const, registers }),
    };
    const outbox = this.outbox;
    new Gauge({
      name: 'hub_people_outbox_pending',
      help: 'Messages to people waiting to be sent, by channel',
      labelNames: ['channel'] as const,
      registers,
      collect() {
        for (const [channel, h] of Object.entries(outbox.health())) this.set({ channel }, h.pending);
      },
    });
    new Gauge({
      name: 'hub_people_channel_up',
      help: '1 while a channel delivers (or has nothing to do), 0 while its last attempts failed',
      labelNames: ['channel'] as const,
      registers,
      collect() {
        for (const [channel, h] of Object.entries(outbox.health())) this.set({ channel }, h.status === 'failing' ? 0 : 1);
      },
    });
    this.ladder = new DeliveryLadder(config);
    this.channel = new PeopleChannel({
      outbox: this.outbox,
      ladder: this.ladder,
      grid: d.grid,
      registry: d.registry,
      ackLinks: this.ackLinks,
      publicUrl: () => this.publicUrl(),
      annotate: (alertId, annotation) => d.alerts.annotate(alertId, annotation),
      log: d.log,
      observe: ({ item, outcome }) => {
        this.m.outcomes.inc({ channel: item.channel, outcome });
        if (outcome === 'sent') this.m.latency.observe({ channel: item.channel }, Math.max(0, d.clock() - item.createdAt) / 1000);
      },
    });
  }

  /** The hub's address as phones reach it (links in messages). */
  publicUrl(): string {
    return this.d.file.delivery?.publicUrl ?? this.d.hubUrl();
  }

  get vapid(): VapidKeys {
    if (!this.vapidKeys) throw new Error('VAPID keys before start()');
    return this.vapidKeys;
  }

  /** msg's transports (WeCom, DingTalk, SMS, voice) and tests register here, before start(). */
  register(transport: PersonTransport): void {
    this.outbox.register(transport);
  }

  async start(): Promise<void> {
    this.ackLinks.start();
    this.vapidKeys = loadVapidKeys(this.d.dataDir);
    if (!this.outbox.transport('webpush')) {
      this.register(
        new WebPushTransport({
          subscriptions: this.subscriptions,
          accountsOf: (workerId) => this.accountsOf(workerId),
          principal: (user) => principalFor(user, this.d.grid),
          vapid: this.vapidKeys,
          subject: this.d.file.delivery?.vapidSubject ?? DEFAULT_VAPID_SUBJECT,
          log: this.d.log,
          ...(this.d.pushAgent ? { agent: this.d.pushAgent } : {}),
        }),
      );
    }
    const { file, db, dataDir, log, clock } = this.d;
    for (const t of personTransports({ file, db, dataDir, log, clock, acknowledge: (a) => this.acknowledge(a) })) if (!this.outbox.transport(t.channel)) this.register(t);
    for (const channel of this.outbox.channels) await this.outbox.transport(channel)!.start?.();
  }

  async stop(): Promise<void> {
    for (const channel of this.outbox.channels) {
      try {
        await this.outbox.transport(channel)!.stop?.();
      } catch (err) {
        this.d.log.error({ err, channel }, 'stopping a person transport failed');
      }
    }
  }

  health(): Record<string, ChannelHealth> {
    return this.outbox.health();
  }

  /** The enabled accounts of a grid worker (users.worker_id); read at most once a second, since a storm asks for thousands. */
  accountsOf(workerId: string): UserRecord[] {
    const now = Date.now();
    if (!this.accounts || now - this.accounts.at > 1000) {
      const byWorker = new Map<string, UserRecord[]>();
      for (const u of this.d.users.list()) {
        if (!u.workerId || u.disabled) continue;
        let list = byWorker.get(u.workerId);
        if (!list) byWorker.set(u.workerId, (list = []));
        list.push(u);
      }
      this.accounts = { at: now, byWorker };
    }
    return this.accounts.byWorker.get(workerId) ?? [];
  }

  private accounts: { at: number; byWorker: Map<string, UserRecord[]> } | undefined;

  /** Acknowledges as a recipient, from a channel: history says via which, and so does the audit log. */
  async acknowledge({ alertId, recipientId, channel, ip }: { alertId: string; recipientId: string; channel: PersonChannelName; ip?: string }): Promise<Alert> {
    const person = this.d.grid.person(recipientId);
    const actor = this.accountsOf(recipientId)[0]?.username ?? recipientId;
    const existing = this.d.alerts.get(alertId);
    if (!existing) throw new AlertErrors.NotFound(alertId);
    const act = this.d.act ?? (async (a: Alert, by: string, cmd: AlertCommand) => applyAlertCommand(this.d.alerts, a.id, by, cmd));
    const wasOpen = existing.state === 'open';
    const alert = await act(existing, actor, { action: 'acknowledge' });
    if (wasOpen) {
      await act(alert, actor, { action: 'annotate', annotation: { action: 'acknowledged_via', by: actor, detail: { channel, recipient: person?.name ?? recipientId } } });
      this.m.acks.inc({ channel });
    }
    this.d.audit.record({ actor, action: 'alert.ack', target: alertId, ip: ip ?? null, detail: { via: channel, recipient: recipientId } });
    return alert;
  }

  place(alert: Alert): { zh: string; en: string } {
    return alertPlace(this.d.grid, this.d.registry, alert);
  }

  alert(id: string): Alert | undefined {
    return this.d.alerts.get(id);
  }

  refused(reason: AckRefusal): void {
    this.m.refused.inc({ reason });
  }
}
