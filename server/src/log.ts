import pino, { type Logger } from 'pino';

export type { Logger };

/** `fd` 2 for a process whose stdout carries results (the bench's one JSON line). */
export function createLogger(level: string, fd: 1 | 2 = 1): Logger {
  const options = { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime };
  return fd === 1 ? pino(options) : pino(options, pino.destination(2));
}

/**
 * Logs a cause at most once per interval and says how many were suppressed meanwhile,
 * so a flood of bad input cannot flood the log.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(cause: string, obj: Record<string, unknown>, msg: string): void {
    const t = this.now();
    const entry = this.last.get(cause);
    if (entry && t - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(cause, { at: t, suppressed: 0 });
    this.log.warn({ cause, ...obj, ...(suppressed ? { suppressedSinceLast: suppressed } : {}) }, msg);
  }
}
