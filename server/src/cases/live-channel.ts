import type { LiveHub } from '../notify/live.ts';
import type { CaseChange, CaseService } from './service.ts';

/** Dashboards hear every case change they may see (the scope is the case's community and cell). */
export class CaseLiveChannel {
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly cases: CaseService,
    private readonly live: LiveHub,
  ) {}

  start(): void {
    this.unsubscribe = this.cases.onChange((change: CaseChange) => this.live.broadcast({ type: 'case', change: change.type === 'action' ? change.action : change.type, case: change.case }));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}
