import type { AlertChange } from '../alerts/changes.ts';

/**
 * One way alert changes leave the hub: the WebSocket, the MQTT alert topic, group-robot
 * webhooks, and later Web Push, app messages and SMS. The dispatcher hands every change to every
 * channel; each decides what it sends for which change type (`switch (change.type)`):
 *
 * - a broadcast channel sends to everyone who may see the alert (the WebSocket, MQTT);
 * - a channel that addresses people reads `addressedChange(change)` (opened, reminded,
 *   escalated: `recipients`, `controlRoom`, `level`) and sends to those people only.
 *
 * `deliver` runs on the alert hot path: it must not wait for the network. A channel that does I/O
 * queues (like the webhook outbox) and reports each result back with `AlertService.annotate`,
 * which comes round again as an `annotated` change. A throwing channel is logged and skipped.
 */
export interface NotificationChannel {
  /** for logs and metrics, e.g. "websocket", "mqtt", "webhook" */
  readonly name: string;
  /** Side effects (timers, connections) begin here, never in the constructor. */
  start?(): void;
  /** Undoes everything `start` did. */
  stop?(): void;
  deliver(change: AlertChange): void;
}
