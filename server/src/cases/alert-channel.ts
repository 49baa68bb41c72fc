import type { AlertChange } from '../alerts/changes.ts';
import type { Logger } from '../log.ts';
import type { NotificationChannel } from '../notify/channel.ts';
import type { CaseService } from './service.ts';

/** Fire alarms need no one's click: by default they become cases the moment they open. */
export const DEFAULT_AUTO_CASE_ALERTS: readonly string[] = ['fire_alarm'];

/**
 * Alert changes into cases: an alert of an automatic type opens a case (source `alert`) when the
 * alert opens. A channel like the others, so the dispatcher's failure isolation covers it.
 */
export class CaseFromAlertChannel implements NotificationChannel {
  readonly name = 'cases';

  constructor(
    private readonly cases: CaseService,
    private readonly types: readonly string[],
    private readonly log: Logger,
  ) {}

  deliver(change: AlertChange): void {
    if (change.type !== 'opened' || !this.types.includes(change.alert.type)) return;
    if (this.cases.byAlert(change.alert.id)) return;
    const c = this.cases.fromAlert(change.alert, 'system');
    this.log.info({ caseId: c.id, code: c.code, alertId: change.alert.id }, 'alert opened a case');
  }
}
