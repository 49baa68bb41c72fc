import { severityRank, type Severity } from '#devices';
import { addressedChange, type AlertChange, type Annotation } from '../alerts/changes.ts';
import type { GridModel } from '../grid/model.ts';
import type { NotificationChannel } from './channel.ts';
import { redact, type DeliveryResult, type WebhookOutbox } from './outbox.ts';
import { dingtalkMessage, wecomMessage } from './webhook-format.ts';

export interface WebhookChannelDeps {
  grid: GridModel;
  outbox: WebhookOutbox;
  /** Records a delivery result in the alert's history (AlertService.annotate). */
  annotate: (alertId: string, annotation: Annotation) => void;
  /**
   * Cluster mode: the messages are written with the alert change itself, in its fenced
   * transaction (server/src/cluster/alert-store.ts), and queued from there once committed.
   */
  durable?: boolean;
}

/** One robot message an alert change sends. */
export interface WebhookMessage {
  alertId: string;
  /** the alert's escalation level when the change was made */
  level: number;
  url: string;
  format: string;
  body: unknown;
  severity: Severity;
}

/** The robot messages of a change: the cell's and control room's robots at or above their `minSeverity`. */
export function webhookMessages(grid: GridModel, change: AlertChange): WebhookMessage[] {
  const addressed = addressedChange(change);
  if (!addressed) return [];
  const { alert } = addressed;
  return grid
    .webhooks(alert.communityId, alert.gridCellId)
    .filter((hook) => severityRank[alert.severity] <= severityRank[hook.minSeverity ?? 'minor'])
    .map((hook) => ({
      alertId: alert.id,
      level: addressed.level,
      url: hook.url,
      format: hook.format,
      body: hook.format === 'wecom' ? wecomMessage(addressed) : dingtalkMessage(addressed),
      severity: alert.severity,
    }));
}

/**
 * WeCom (企业微信) and DingTalk (钉钉) group robots of the alert's cell and control room, for the
 * changes that must reach people (opened, reminded, escalated) at or above each robot's
 * `minSeverity`, through the durable outbox. Results come back as annotations.
 */
export class WebhookChannel implements NotificationChannel {
  readonly name = 'webhook';

  constructor(private readonly d: WebhookChannelDeps) {}

  start(): void {
    this.d.outbox.onResult = (result) => this.recordResult(result);
    this.d.outbox.start();
  }

  stop(): void {
    this.d.outbox.stop();
    this.d.outbox.onResult = undefined;
  }

  deliver(change: AlertChange): void {
    if (this.d.durable) return;
    for (const m of webhookMessages(this.d.grid, change)) this.d.outbox.enqueue(m.alertId, m.url, m.format, m.body, m.severity);
  }

  /** The first failure and the final delivery, not every retry. */
  private recordResult({ item, ok, status, error }: DeliveryResult): void {
    if (ok) this.d.annotate(item.alertId, { action: 'webhook_delivered', by: 'system', detail: { url: redact(item.url), format: item.format, attempts: item.attempts } });
    else if (item.attempts === 1) this.d.annotate(item.alertId, { action: 'webhook_failed', by: 'system', detail: { url: redact(item.url), format: item.format, status, error, retrying: true } });
  }
}
