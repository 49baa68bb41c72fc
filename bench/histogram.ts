/** Reads one Prometheus histogram's cumulative buckets from /metrics text. */
export function readHistogram(text: string, name: string): Map<number, number> {
  const buckets = new Map<number, number>();
  const re = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+(?:\\.\\d+)?)$`, 'gm');
  for (const m of text.matchAll(re)) buckets.set(m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2]));
  return buckets;
}

/** A quantile (ms) of the observations between two snapshots, interpolated inside the bucket. */
export function quantileMs(before: Map<number, number>, after: Map<number, number>, q: number): number | null {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const total = counts.at(-1) ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (let i = 0; i < bounds.length; i++) {
    const bound = bounds[i]!;
    const c = counts[i]!;
    if (c >= rank) {
      if (bound === Infinity) return prevBound * 1000;
      const inBucket = c - prevCount;
      const frac = inBucket > 0 ? (rank - prevCount) / inBucket : 1;
      return Math.round((prevBound + (bound - prevBound) * frac) * 1000 * 10) / 10;
    }
    prevBound = bound;
    prevCount = c;
  }
  return null;
}
