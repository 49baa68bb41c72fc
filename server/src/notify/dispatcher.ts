import type { AlertChange } from '../alerts/changes.ts';
import type { AlertService } from '../alerts/service.ts';
import type { Logger } from '../log.ts';
import type { NotificationChannel } from './channel.ts';

export interface DispatcherDeps {
  alerts: AlertService;
  channels: readonly NotificationChannel[];
  log: Logger;
}

/** Hands every alert change to every notification channel; one failing channel cannot stop another. */
export class AlertDispatcher {
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly d: DispatcherDeps) {}

  start(): void {
    for (const channel of this.d.channels) channel.start?.();
    this.unsubscribe = this.d.alerts.onChange((change) => this.dispatch(change));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const channel of [...this.d.channels].reverse()) channel.stop?.();
  }

  private dispatch(change: AlertChange): void {
    for (const channel of this.d.channels) {
      try {
        channel.deliver(change);
      } catch (err) {
        this.d.log.error({ err, channel: channel.name, alertId: change.alert.id, change: change.type }, 'notification channel failed');
      }
    }
  }
}
