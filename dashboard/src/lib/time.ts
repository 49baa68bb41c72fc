import type { Time } from './types.ts';

/** Contract timestamps: epoch ms (fractions allowed) or ISO-8601. Returns epoch ms or null. */
export function toMs(v: Time): number | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  const n = Number(v);
  if (Number.isFinite(n) && /^\d+(\.\d+)?$/.test(v)) return n;
  const p = Date.parse(v);
  return Number.isNaN(p) ? null : p;
}
