// The grid (communities, cells, buildings) and the key figures, both computed by the hub.
import type { Api } from '../api.ts';
import type { Grid, Stats } from '../types.ts';
import { failedLoad, type Load } from './load.ts';

/** Figures follow alert changes within this long, without one request per change. */
const STATS_DELAY_MS = 3000;

export class GridState {
  grid = $state.raw<Grid | null>(null);
  load = $state<Load>('idle');
  stats = $state.raw<Stats | null>(null);

  private statsTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly api: Api) {}

  async fetchGrid(): Promise<void> {
    this.load = 'loading';
    try {
      this.grid = await this.api.grid();
      this.load = 'ready';
    } catch (err) {
      this.load = failedLoad(err, 'loading');
    }
  }

  async fetchStats(): Promise<void> {
    try {
      this.stats = await this.api.stats();
    } catch {
      this.stats = null;
    }
  }

  statsSoon(): void {
    if (this.statsTimer) return;
    this.statsTimer = setTimeout(() => {
      this.statsTimer = null;
      void this.fetchStats();
    }, STATS_DELAY_MS);
  }

  stop(): void {
    if (this.statsTimer) clearTimeout(this.statsTimer);
    this.statsTimer = null;
  }
}
