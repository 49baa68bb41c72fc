import createError from '@fastify/error';

/**
 * Errors every telemetry store throws, whatever its backend. Made with createError like the
 * HTTP catalogue (server/src/errors.ts), so a route that lets one through answers with its
 * status and the JSON error shape: a store that cannot be reached is 503, not 500.
 */
export const StoreErrors = {
  Unavailable: createError<[string]>('STORE_UNAVAILABLE', 'the time-series store is unavailable: %s', 503),
};

/**
 * An HTTP error from the store itself (a 4xx on a query the hub built) is a bug and stays as it
 * is; anything else (refused, reset, timed out, 5xx) means the store cannot answer now.
 */
export function asStoreUnavailable(err: unknown, location: string): unknown {
  const message = err instanceof Error ? err.message : String(err);
  if (/A 4\d\d /.test(message)) return err;
  const code = (err as { code?: unknown }).code;
  return new StoreErrors.Unavailable(`${location}: ${typeof code === 'string' ? code : message}`);
}
