/** Parses an HTTP time parameter: epoch ms, ISO-8601, or relative like "-1h". */
export function parseTimeParam(value: string | undefined, now: number): number | undefined | 'invalid' {
  if (value === undefined || value === '') return undefined;
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  const rel = /^-(\d+)(s|m|h|d)$/.exec(value);
  if (rel) return now - Number(rel[1]) * unitMs[rel[2] as keyof typeof unitMs];
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? 'invalid' : ms;
}

const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses a window like "30s", "5m", "1h" or plain milliseconds. */
export function parseDuration(value: string | undefined): number | undefined | 'invalid' {
  if (value === undefined || value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(value);
  if (!m) return 'invalid';
  return Number(m[1]) * unitMs[m[2] as keyof typeof unitMs];
}
