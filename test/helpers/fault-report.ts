import { afterAll } from 'vitest';

/** Fault tests run at test scale; `npm run bench:faults` runs the same at bench scale (FAULT_SCALE, FAULT_OUTAGE_S). */
export const FAULT_SCALE = Number(process.env.FAULT_SCALE ?? 1);

export interface FaultFigures {
  acked: number;
  stored: number;
  lost: number;
  duplicated: number;
  [extra: string]: unknown;
}

/** Collects acked → stored → lost → duplicated per fault and prints one `FAULTS {...}` line when FAULT_REPORT is set. */
export function faultReport(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const report: Record<string, unknown> = { scale: FAULT_SCALE, ...extra };
  afterAll(() => {
    if (process.env.FAULT_REPORT) process.stdout.write(`FAULTS ${JSON.stringify(report)}\n`);
  });
  return report;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
