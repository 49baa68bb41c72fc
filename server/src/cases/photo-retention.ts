import type { Logger } from '../log.ts';
import type { CaseService } from './service.ts';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * Photo retention (cases.photoRetentionDays): a finished case's photos are deleted once they are
 * older than the retention; an open case keeps its evidence. tick() sweeps at most once an hour.
 */
export class CasePhotoRetention {
  private lastSweep = -Infinity;

  constructor(
    private readonly cases: Pick<CaseService, 'sweepPhotos'>,
    private readonly days: number,
    private readonly clock: () => number,
    private readonly log: Logger,
  ) {}

  tick(): void {
    const now = this.clock();
    if (now - this.lastSweep < HOUR) return;
    this.lastSweep = now;
    const removed = this.cases.sweepPhotos(now - this.days * DAY);
    if (removed) this.log.info({ removed, days: this.days }, 'deleted case photos past their retention');
  }
}
