// A repeating action on its own timer: the control room's chime for an unacknowledged critical alert.
// Telling it "still active" again does not restart the period, so other alert changes (a new minor
// alert, an acknowledgement elsewhere) never push the next chime away.

export interface IntervalTimers {
  set: (fn: () => void, ms: number) => unknown;
  clear: (handle: unknown) => void;
}

const realTimers: IntervalTimers = {
  set: (fn, ms) => setInterval(fn, ms),
  clear: (h) => clearInterval(h as ReturnType<typeof setInterval>),
};

export class Repeater {
  private handle: unknown = null;

  constructor(
    private readonly fn: () => void,
    private readonly everyMs: number,
    private readonly timers: IntervalTimers = realTimers,
  ) {}

  get running(): boolean {
    return this.handle !== null;
  }

  /** Runs `fn` every `everyMs` while active; the same value again changes nothing. */
  set(active: boolean): void {
    if (active && this.handle === null) this.handle = this.timers.set(this.fn, this.everyMs);
    else if (!active && this.handle !== null) {
      this.timers.clear(this.handle);
      this.handle = null;
    }
  }
}
