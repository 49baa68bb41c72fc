import { addressedChange, type AddressedChange, type AlertChange, type Annotation } from '../../alerts/changes.ts';
import type { GridModel } from '../../grid/model.ts';
import type { Logger } from '../../log.ts';
import type { DeviceRegistry } from '../../registry/devices.ts';
import type { NotificationChannel } from '../channel.ts';
import type { AckLinks } from './ack-links.ts';
import { DeliveryAnnotations } from './annotations.ts';
import type { DeliveryLadder } from './ladder.ts';
import type { PersonDeliveryOutcome, PersonOutbox, QueuedMessage } from './outbox.ts';
import { alertPlace } from './place.ts';
import { isCaseMessage, type PersonChannelName, type PersonRecipient } from './transport.ts';

export interface PeopleChannelDeps {
  outbox: PersonOutbox;
  ladder: DeliveryLadder;
  grid: GridModel;
  registry: Pick<DeviceRegistry, 'get'>;
  ackLinks: AckLinks;
  /** the hub's address as phones reach it (acknowledgement links) */
  publicUrl: () => string;
  /** Records a delivery result in the alert's history (AlertService.annotate). */
  annotate: (alertId: string, annotation: Annotation) => void;
  log: Logger;
  /** sees every outcome (metrics) */
  observe?: (o: PersonDeliveryOutcome) => void;
}

const MAX_NAMES = 20;

/**
 * Delivery to people: each addressed change (opened, reminded, escalated) becomes one outbox
 * message per recipient and channel the ladder names for the recipient's role at the alert's
 * level, for every channel whose transport can reach them. An acknowledgement (or resolution)
 * cancels what is still pending for the alert on every channel. Results become history entries.
 */
export class PeopleChannel implements NotificationChannel {
  readonly name = 'people';
  private readonly accounts = new Map<string, PersonRecipient['accounts']>();
  private readonly annotations: DeliveryAnnotations;

  constructor(private readonly d: PeopleChannelDeps) {
    for (const w of d.grid.allWorkers()) if (w.accounts) this.accounts.set(w.id, w.accounts);
    this.annotations = new DeliveryAnnotations(d.annotate);
  }

  start(): void {
    this.d.outbox.onResult = (o) => this.recordResult(o);
    this.d.outbox.start();
  }

  stop(): void {
    this.d.outbox.stop();
    this.d.outbox.onResult = undefined;
    this.annotations.flush();
  }

  deliver(change: AlertChange): void {
    if (change.type === 'acknowledged' || change.type === 'resolved') {
      const n = this.d.outbox.cancel(change.alert.id);
      if (n) this.d.log.info({ alertId: change.alert.id, cancelled: n, change: change.type }, 'stopped pending deliveries to people');
      if (change.type === 'acknowledged') this.tellTransports(change.alert.id, change.actor);
      return;
    }
    const addressed = addressedChange(change);
    if (addressed) this.fanOut(addressed);
  }

  private fanOut(change: AddressedChange): void {
    const { alert, level } = change;
    if (alert.state !== 'open') return;
    const place = alertPlace(this.d.grid, this.d.registry, alert);
    // A reminder repeats the same change at the same level: its time tells one from the next.
    const occurrence = change.type === 'reminded' ? `${change.type}@${alert.history.at(-1)?.at ?? alert.lastSeenAt}` : change.type;
    const items: QueuedMessage[] = [];
    const unreachable: string[] = [];
    const base = this.d.publicUrl();
    for (const person of change.recipients) {
      const recipient: PersonRecipient = { ...person, ...(this.accounts.has(person.id) ? { accounts: this.accounts.get(person.id) } : {}) };
      let reached = false;
      for (const channel of this.d.ladder.channels(level, person.role, alert.severity)) {
        const transport = this.d.outbox.transport(channel);
        if (!transport?.reachable(recipient)) continue;
        reached = true;
        items.push({
          channel,
          message: {
            key: [alert.id, occurrence, level, person.id, channel].join('|'),
            change: change.type,
            level,
            alert,
            recipient,
            place,
            ackUrl: this.d.ackLinks.url(base, { alertId: alert.id, recipientId: person.id, channel }),
          },
        });
      }
      if (!reached) unreachable.push(person.name);
    }
    const added = this.d.outbox.enqueue(items, alert.severity);
    if (!added.length && !unreachable.length) return;
    const byChannel: Partial<Record<PersonChannelName, string[]>> = {};
    for (const { channel, message } of added) {
      const names = (byChannel[channel] ??= []);
      if (names.length < MAX_NAMES) names.push(message.recipient.name);
    }
    // After the change has gone round every channel: an annotation is itself a change.
    setImmediate(() =>
      this.d.annotate(alert.id, {
        action: 'delivery_queued',
        by: 'system',
        detail: { change: change.type, level, count: added.length, channels: byChannel, ...(unreachable.length ? { unreachable: unreachable.slice(0, MAX_NAMES) } : {}) },
      }),
    );
  }

  /** Off the hot path: a transport updating what it sent (a WeCom card) does network I/O. */
  private tellTransports(alertId: string, by: string): void {
    for (const t of this.d.outbox.transportList) {
      if (!t.acknowledged) continue;
      setImmediate(() => {
        Promise.resolve()
          .then(() => t.acknowledged!(alertId, by))
          .catch((err: unknown) => this.d.log.warn({ err, channel: t.channel, alertId }, 'a transport could not mark its messages acknowledged'));
      });
    }
  }

  /** Each send, and the first failure and the final one of each message, not every retry. */
  private recordResult(o: PersonDeliveryOutcome): void {
    this.d.observe?.(o);
    const { item, result, outcome } = o;
    // A case's messages belong to no alert's history.
    if (isCaseMessage(item.message)) return;
    const to = item.message.recipient.name;
    if (outcome === 'sent') this.annotations.add(item.alertId, 'delivery_sent', item.channel, to, { level: item.message.level });
    else if (outcome === 'failed') this.annotations.add(item.alertId, 'delivery_failed', item.channel, to, { error: result.error ?? `HTTP ${result.status}`, retrying: false });
    else if (item.attempts === 1) this.annotations.add(item.alertId, 'delivery_failed', item.channel, to, { error: result.error ?? `HTTP ${result.status}`, retrying: true });
  }
}
