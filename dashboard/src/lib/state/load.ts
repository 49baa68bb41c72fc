// How a failed request shows on screen: pure mapping from an error to a load or session state.
import { ApiError } from '../api.ts';

export type AuthState = 'checking' | 'needed' | 'ok' | 'none' | 'unreachable';
export type Load = 'idle' | 'loading' | 'ready' | 'missing' | 'error';

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function isUnauthorized(err: unknown): boolean {
  return err instanceof ApiError && err.unauthorized;
}

/** The state after a failed load: a hub without the route is 'missing'; data already shown stays 'ready'. */
export function failedLoad(err: unknown, held: Load): Load {
  if (err instanceof ApiError && err.missing) return 'missing';
  return held === 'ready' ? 'ready' : 'error';
}

/** The session state after /api/auth/me failed: 401 asks for a login, a hub without accounts is open. */
export function failedSession(err: unknown): Extract<AuthState, 'needed' | 'none' | 'unreachable'> {
  if (isUnauthorized(err)) return 'needed';
  if (err instanceof ApiError && err.missing) return 'none';
  return 'unreachable';
}
