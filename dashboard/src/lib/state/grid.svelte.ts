// The grid (communities, cells, buildings) and the key figures, both computed by the hub.
import type { Api } from '../api.ts';
import type { Grid, Stats } from '../types.ts';
import type { CommunityStatsReply } from '#devices/wire.ts';
import { Directory, type Person } from '../names.ts';
import { failedLoad, type Load } from './load.ts';

/** Figures follow alert changes within this long, without one request per change. */
const STATS_DELAY_MS = 3000;

export class GridState {
  grid = $state.raw<Grid | null>(null);
  load = $state<Load>('idle');
  stats = $state.raw<Stats | null>(null);
  people = $state.raw<Person[]>([]);
  /** Per community, only when the scope holds several (the sub-district overview). */
  communityStats = $state.raw<CommunityStatsReply['communities'] | null>(null);
  /** Names for the ids in alerts and devices. */
  readonly directory = $derived(new Directory(this.grid, this.people));

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

  async fetchPeople(): Promise<void> {
    try {
      this.people = await this.api.people();
    } catch {
      /* an older hub: names of workers come from the grid alone */
    }
  }

  async fetchStats(): Promise<void> {
    const several = (this.grid?.communities.length ?? 0) > 1;
    const [stats, perCommunity] = await Promise.all([this.api.stats().catch(() => null), several ? this.api.communityStats().catch(() => null) : null]);
    this.stats = stats;
    this.communityStats = perCommunity;
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
