import type { AlertService } from '../alerts/service.ts';
import type { GridModel } from '../grid/model.ts';
import type { NotificationChannel } from './channel.ts';
import { LiveAlertChannel } from './live-channel.ts';
import type { LiveHub } from './live.ts';
import { MqttAlertChannel, type MqttPublish } from './mqtt-channel.ts';
import type { WebhookOutbox } from './outbox.ts';
import { WebhookChannel } from './webhook-channel.ts';

export interface NotificationChannelDeps {
  alerts: AlertService;
  grid: GridModel;
  live: LiveHub;
  outbox: WebhookOutbox;
  publish: MqttPublish;
  /** delivery to people (notify/people/delivery.ts) */
  people?: NotificationChannel;
  /** Cluster mode: robot messages are queued by the cluster's alert writer (WebhookChannelDeps.durable). */
  durableWebhooks?: boolean;
}

/** The hub's notification channels, in delivery order: a new channel is one module and one line here. */
export function notificationChannels(d: NotificationChannelDeps): NotificationChannel[] {
  return [
    new LiveAlertChannel(d.live),
    new MqttAlertChannel(d.publish),
    new WebhookChannel({ grid: d.grid, outbox: d.outbox, annotate: (alertId, annotation) => d.alerts.annotate(alertId, annotation), durable: d.durableWebhooks ?? false }),
    ...(d.people ? [d.people] : []),
  ];
}
