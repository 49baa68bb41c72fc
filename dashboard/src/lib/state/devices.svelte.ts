// The device registry: loaded once, then patched from /ws `device` messages in 250 ms batches.
import type { Api } from '../api.ts';
import { indexDevices, patchDevices } from '../devices.ts';
import type { Device } from '../types.ts';
import { failedLoad, isUnauthorized, type Load } from './load.ts';

const FLUSH_MS = 250;

export class DevicesState {
  list = $state.raw<Device[]>([]);
  /**
   * Bumped when devices change only in status (online, lastSeenAt, readings): those are patched in
   * place, so layouts derived from `list` (plan geometry, cells) are not recomputed for them.
   * Anything showing status reads this too.
   */
  tick = $state(0);
  load = $state<Load>('idle');

  private index = new Map<string, number>();
  private pending = new Map<string, Device>();
  private flushTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly api: Api) {}

  async fetch(): Promise<void> {
    if (this.load !== 'ready') this.load = 'loading';
    try {
      this.set(await this.api.devices());
      this.load = 'ready';
    } catch (err) {
      if (isUnauthorized(err)) return;
      if (this.load !== 'ready') this.load = failedLoad(err, this.load);
    }
  }

  get(id: string): Device | undefined {
    const list = this.list; // read first: a caller's view updates when the list arrives
    const i = this.index.get(id);
    return i === undefined ? undefined : list[i];
  }

  /** A device update pushed over /ws; applied with the others of the next 250 ms. */
  queue(d: Device): void {
    this.pending.set(d.id, d);
    if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
  }

  clear(): void {
    this.set([]);
  }

  private set(list: Device[]): void {
    this.index = indexDevices(list);
    this.list = list;
    this.tick++;
  }

  private flush(): void {
    this.flushTimer = null;
    if (this.pending.size === 0) return;
    const next = patchDevices(this.list, this.index, this.pending);
    this.pending.clear();
    if (next) this.list = next;
    this.tick++;
  }
}
