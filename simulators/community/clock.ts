/**
 * Scenario time: real time sped up by the time-scale factor, anchored at a chosen time of day so
 * traffic and "at night" follow the scenario, not the wall clock. Messages still carry ts = now.
 */
export class ScenarioClock {
  private realStart: number;

  constructor(
    readonly timeScale: number,
    /** Scenario epoch ms at the start. */
    readonly start: number,
    private readonly realNow: () => number = Date.now,
  ) {
    if (!(timeScale > 0)) throw new Error(`time scale must be > 0, got ${timeScale}`);
    this.realStart = realNow();
  }

  /** Makes t = 0 now (a scenario starts once every device is up, however long that took). */
  restart(): void {
    this.realStart = this.realNow();
  }

  /** Scenario seconds since the start. */
  elapsedS(): number {
    return ((this.realNow() - this.realStart) / 1000) * this.timeScale;
  }

  now(): number {
    return this.start + this.elapsedS() * 1000;
  }

  /** Real milliseconds from now until scenario second `atS`. */
  realDelayMs(atS: number): number {
    return Math.max(0, (atS - this.elapsedS()) * (1000 / this.timeScale));
  }
}

/** China keeps UTC+8 all year, so the local hour needs no time-zone database. */
export function shanghaiHour(epochMs: number): number {
  return (((epochMs / 3_600_000 + 8) % 24) + 24) % 24;
}

/** "23:40" (Asia/Shanghai) on the day of `base`, or an ISO-8601 instant, as epoch ms. */
export function parseClockStart(value: string | undefined, base = Date.now()): number {
  if (!value) return base;
  const hm = /^(\d{1,2}):(\d{2})$/.exec(value);
  if (hm) {
    const dayStart = Math.floor((base + 8 * 3_600_000) / 86_400_000) * 86_400_000 - 8 * 3_600_000;
    return dayStart + (Number(hm[1]) * 60 + Number(hm[2])) * 60_000;
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new Error(`clock: expected "HH:MM" or an ISO-8601 time, got "${value}"`);
  return t;
}
