import type { AlertChange } from '../alerts/changes.ts';
import type { NotificationChannel } from './channel.ts';
import type { LiveHub } from './live.ts';

/**
 * Dashboards over the WebSocket: the whole alert on every change of its state or content, and
 * an annotation (one history entry) for a delivery result, so a dashboard is not sent the whole
 * alert again each time a robot answers.
 */
export class LiveAlertChannel implements NotificationChannel {
  readonly name = 'websocket';

  constructor(private readonly live: LiveHub) {}

  deliver(change: AlertChange): void {
    const { alert } = change;
    switch (change.type) {
      case 'annotated':
        this.live.broadcast({ type: 'annotation', alertId: alert.id, communityId: alert.communityId, gridCellId: alert.gridCellId, entry: change.entry });
        return;
      default:
        this.live.broadcast({ type: 'alert', alert });
    }
  }
}
