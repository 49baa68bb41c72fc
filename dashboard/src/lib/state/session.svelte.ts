// Who is logged in: the session check, login and logout. Knows nothing of alerts or devices.
import { LIVE_CLOSE } from '#devices/wire.ts';
import type { Api } from '../api.ts';
import type { User } from '../types.ts';
import { errorText, failedSession, type AuthState } from './load.ts';

export class SessionState {
  auth = $state<AuthState>('checking');
  user = $state.raw<User | null>(null);
  /** Why the hub could not be reached, while `auth` is 'unreachable'. */
  error = $state<string | null>(null);
  /** When a signed-in session ended without a logout (expired, revoked): the screen says so loudly. */
  endedAt = $state<number | null>(null);
  /** Why it ended, when the hub said (its /ws close code): an admin revoked this screen or changed the account. */
  endedWhy = $state<'ended' | 'account' | 'display'>('ended');

  constructor(private readonly api: Api) {}

  /** Asks the hub who we are; the answer is also in `auth`. */
  async check(): Promise<AuthState> {
    this.auth = 'checking';
    try {
      this.user = await this.api.me();
      this.auth = 'ok';
    } catch (err) {
      const next = failedSession(err);
      // 'none': the hub has no accounts yet, everything is open
      if (next === 'none') this.user = null;
      if (next === 'unreachable') this.error = errorText(err);
      this.auth = next;
    }
    return this.auth;
  }

  async login(username: string, password: string): Promise<void> {
    this.user = (await this.api.login(username, password)).user;
    this.auth = 'ok';
    this.endedAt = null;
    this.endedWhy = 'ended';
  }

  async logout(): Promise<void> {
    try {
      await this.api.logout();
    } catch {
      /* the session is dropped locally either way */
    }
    this.ended();
  }

  /** The hub refused our session (a 401, or /ws closed with `code`). False when there are no accounts: nothing was lost. */
  lost(code?: number): boolean {
    if (this.auth === 'none') return false;
    if (this.auth === 'ok') {
      this.endedAt = Date.now();
      // a wall screen's credential only ends by revocation
      this.endedWhy = code === LIVE_CLOSE.displayRevoked || this.user?.display ? 'display' : code === LIVE_CLOSE.accountRevoked ? 'account' : 'ended';
    }
    this.auth = 'needed';
    return true;
  }

  private ended(): void {
    this.user = null;
    this.endedAt = null;
    this.auth = 'needed';
  }
}
