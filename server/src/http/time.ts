import type { FastifyInstance } from 'fastify';
import { TS_MAX_MS, TS_MIN_MS } from '#devices';
import { Errors } from '../errors.ts';

/**
 * Every time, window and count a client sends is parsed and bounded here, so no store ever
 * sees a value it cannot represent (InfluxDB's int64 nanoseconds end in 1677 and 2262; SQLite
 * refuses a non-finite LIMIT).
 */

/** Queries are clamped to the range a device's `ts` may have (devices/src/payloads.ts): nothing is stored outside it. */
/** The widest aggregation window: a year. */
export const MAX_EVERY_MS = 366 * 86_400_000;

const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof unitMs;

const clamp = (ms: number) => Math.min(TS_MAX_MS, Math.max(TS_MIN_MS, ms));

/**
 * Parses an HTTP time parameter: epoch ms, ISO-8601, or relative like "-1h". Well-formed times
 * outside the storable range are clamped to it (from=1600-01-01 means "from the start").
 */
export function parseTimeParam(value: string | undefined, now: number): number | undefined | 'invalid' {
  if (value === undefined || value === '') return undefined;
  let ms: number;
  if (/^-?\d{1,20}(\.\d{1,6})?$/.test(value)) ms = Number(value);
  else {
    const rel = /^-(\d{1,16})(ms|s|m|h|d)$/.exec(value);
    if (rel) ms = now - Number(rel[1]) * unitMs[rel[2] as Unit];
    // Date.parse also reads free text ("March 7"); only ISO-8601 is documented.
    else if (/^[+-]?\d{4,6}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) ms = Date.parse(value);
    else return 'invalid';
  }
  return Number.isFinite(ms) ? clamp(ms) : 'invalid';
}

/** Parses a window like "30s", "5m", "1h" or plain milliseconds; at most MAX_EVERY_MS. */
export function parseDuration(value: string | undefined): number | undefined | 'invalid' {
  if (value === undefined || value === '') return undefined;
  const m = /^(\d{1,16})(ms|s|m|h|d)?$/.exec(value);
  if (!m) return 'invalid';
  const ms = Number(m[1]) * unitMs[(m[2] ?? 'ms') as Unit];
  return ms >= 1 && ms <= MAX_EVERY_MS ? ms : 'invalid';
}

/** from/to of a query, defaulting to the last `defaultSpanMs`; throws BAD_RANGE (400). */
export function timeRange(q: { from?: string | undefined; to?: string | undefined }, defaultSpanMs: number, now = Date.now()): { from: number; to: number } {
  const to = parseTimeParam(q.to, now);
  const from = parseTimeParam(q.from, now);
  if (to === 'invalid') throw new Errors.BadRange('"to" is not epoch ms, ISO-8601 or -<n>(ms|s|m|h|d)');
  if (from === 'invalid') throw new Errors.BadRange('"from" is not epoch ms, ISO-8601 or -<n>(ms|s|m|h|d)');
  const end = to ?? clamp(now);
  const start = from ?? clamp(end - defaultSpanMs);
  if (start > end) throw new Errors.BadRange('"from" is after "to"');
  return { from: start, to: end };
}

/** The aggregation window; throws BAD_RANGE (400). */
export function everyParam(value: string | undefined): number | undefined {
  const ms = parseDuration(value);
  if (ms === 'invalid') throw new Errors.BadRange(`"every" must look like 30s, 5m, 1h or be milliseconds, between 1 ms and ${MAX_EVERY_MS / 86_400_000} days`);
  return ms;
}

/**
 * Ajv coerces a query or body string such as "1e400" to Infinity and then skips minimum and
 * maximum (its bounds only test finite numbers), so no other schema check catches it: after
 * validation, refuse any non-finite number that reached the request.
 */
export function refuseNonFiniteNumbers(app: FastifyInstance): void {
  app.addHook('preHandler', async (req) => {
    const where = nonFinite(req.query) ?? nonFinite(req.body);
    if (where !== undefined) throw new Errors.BadNumber(where);
  });
}

function nonFinite(root: unknown): string | undefined {
  if (root === null || typeof root !== 'object') return typeof root === 'number' && !Number.isFinite(root) ? '/' : undefined;
  // Iterative: a 64 KiB body can nest deeper than the call stack.
  const stack: [unknown, string][] = [[root, '']];
  let visited = 0;
  while (stack.length > 0 && visited++ < 100_000) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return path || '/';
    } else if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
      // A raw body (Buffer) holds bytes, not numbers: walking it cost a push route a tenth of its time.
      for (const [k, v] of Object.entries(value)) stack.push([v, `${path}/${k}`.slice(0, 200)]);
    }
  }
  return undefined;
}
