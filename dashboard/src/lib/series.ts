// Telemetry helpers shared by the device panel and the alert drawer.
import { isDeviceKind, kindSpecs } from '#devices/kinds/index.ts';
import type { TelemetryPoint } from './types.ts';

export type Range = 'hour' | 'day';
export const RANGES: Record<Range, { ms: number; every: string }> = {
  hour: { ms: 3600_000, every: '1m' },
  day: { ms: 86_400_000, every: '15m' },
};

/** Readings of a kind that can be charted (numbers and booleans), in the model's display order. */
export function chartableReadings(kind: string): string[] {
  if (!isDeviceKind(kind)) return [];
  const spec = kindSpecs[kind];
  return spec.readings.filter((r) => !spec.stringReadings.includes(r));
}

/** uPlot columns: x in epoch seconds ascending, y numeric (booleans 1/0, anything else null). */
export function toColumns(points: readonly TelemetryPoint[]): { xs: number[]; ys: (number | null)[] } {
  const rows: [number, number | null][] = [];
  for (const p of points) {
    const v = p.value;
    rows.push([p.ts / 1000, typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'boolean' ? (v ? 1 : 0) : null]);
  }
  rows.sort((a, b) => a[0] - b[0]);
  return { xs: rows.map((r) => r[0]), ys: rows.map((r) => r[1]) };
}

export function lastValue(points: readonly TelemetryPoint[]): unknown {
  let best: TelemetryPoint | undefined;
  let bestMs = -Infinity;
  for (const p of points) {
    const ms = p.ts;
    if (ms >= bestMs && p.value !== null) {
      best = p;
      bestMs = ms;
    }
  }
  return best?.value;
}

/**
 * Labels of a time axis in the UI language: times of day over a day or less, dates with hours
 * beyond. `splits` are epoch seconds (uPlot's), `spanS` the visible range.
 */
export function timeTicks(locale: string, splits: readonly number[], spanS: number): string[] {
  const short = spanS <= 36 * 3600;
  const fmt = new Intl.DateTimeFormat(locale, short ? { hour: '2-digit', minute: '2-digit', hour12: false } : { month: 'short', day: 'numeric', hour: '2-digit', hour12: false });
  return splits.map((s) => fmt.format(new Date(s * 1000)));
}
