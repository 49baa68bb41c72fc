import type { Scheduler } from '../../server/src/gb28181/sip/transaction.ts';

/** A clock and timer queue the test steps by hand (RFC 3261 §17 timers without sleeping). */
export class ManualScheduler implements Scheduler {
  private t = 0;
  private seq = 0;
  private readonly queue = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }
  set(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.queue.set(id, { at: this.t + ms, fn });
    return id;
  }
  clear(handle: unknown): void {
    this.queue.delete(handle as number);
  }
  /** Moves time forward, firing due timers in order (those they set included). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.queue) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.queue.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
  get pending(): number {
    return this.queue.size;
  }
}
