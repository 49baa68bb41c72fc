import { alertTopic, severityRank, type Alert } from '#devices';
import { addressedChange, type AlertChange } from '../alerts/changes.ts';
import type { AlertService } from '../alerts/service.ts';
import type { GridModel } from '../grid/model.ts';
import type { LiveHub } from './live.ts';
import { redact, type WebhookOutbox } from './outbox.ts';
import { dingtalkMessage, wecomMessage } from './webhook-format.ts';

export interface DispatcherDeps {
  alerts: AlertService;
  grid: GridModel;
  live: LiveHub;
  outbox: WebhookOutbox;
  publish: (topic: string, payload: string) => void;
}

/**
 * Sends every alert change where it must go: the WebSocket (dashboards), the MQTT alert topic,
 * and for the changes that must reach people (opened, reminded, escalated) the cell's and
 * control room's webhooks. Webhook outcomes come back into the alert's history.
 */
export class AlertDispatcher {
  constructor(private readonly d: DispatcherDeps) {}

  start(): void {
    this.d.alerts.onChange((change) => this.dispatch(change));
    this.d.outbox.onResult = ({ item, ok, status, error }) => {
      // Record the first failure and the final delivery, not every retry.
      if (ok) this.d.alerts.annotate(item.alertId, { action: 'webhook_delivered', by: 'system', detail: { url: redact(item.url), format: item.format, attempts: item.attempts } });
      else if (item.attempts === 1) this.d.alerts.annotate(item.alertId, { action: 'webhook_failed', by: 'system', detail: { url: redact(item.url), format: item.format, status, error, retrying: true } });
    };
  }

  private dispatch(change: AlertChange): void {
    const { alert } = change;
    this.d.live.broadcast({ type: 'alert', alert });
    this.d.publish(alertTopic(alert.communityId, alert.id), JSON.stringify(alert));
    const addressed = addressedChange(change);
    if (!addressed) return;
    for (const hook of this.d.grid.webhooks(alert.communityId, alert.gridCellId)) {
      if (severityRank[alert.severity] > severityRank[hook.minSeverity ?? 'minor']) continue;
      const body = hook.format === 'wecom' ? wecomMessage(addressed) : dingtalkMessage(addressed);
      this.d.outbox.enqueue(alert.id, hook.url, hook.format, body, alert.severity);
    }
  }
}

export type { Alert };
