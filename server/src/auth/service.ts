import type Database from 'better-sqlite3';
import { Counter, type Registry } from 'prom-client';
import type { GridModel } from '../grid/model.ts';
import type { Logger } from '../log.ts';
import { AuditLog } from './audit.ts';
import { AuthErrors } from './errors.ts';
import { DisplayStore } from './displays.ts';
import { burnPasswordCheck, MIN_PASSWORD_LENGTH, passwordAcceptable, verifyPassword } from './passwords.ts';
import { principalFor, type Principal } from './roles.ts';
import { SessionStore, type Session } from './sessions.ts';
import { LoginThrottle, type ThrottleOptions } from './throttle.ts';
import { newToken, sameSecret } from './tokens.ts';
import { UserRepository, type NewUser } from './users.ts';

export interface AuthServiceOptions {
  db: Database.Database;
  grid: GridModel;
  log: Logger;
  sessionTtlMs: number;
  throttle?: ThrottleOptions;
  clock?: () => number;
  /** where hub_login_attempts_total is exported (the hub's metrics registry) */
  metricsRegistry?: Registry;
}

export interface LoginResult {
  token: string;
  session: Session;
  principal: Principal;
}

/** Accounts, logins and sessions; the HTTP layer only translates. */
export class AuthService {
  readonly users: UserRepository;
  readonly sessions: SessionStore;
  readonly audit: AuditLog;
  readonly throttle: LoginThrottle;
  readonly displays: DisplayStore;
  readonly loginAttempts: Counter<'result'>;
  private setupToken: string | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: AuthServiceOptions) {
    const clock = o.clock ?? Date.now;
    this.users = new UserRepository(o.db);
    this.sessions = new SessionStore(o.db, o.sessionTtlMs, clock);
    this.audit = new AuditLog(o.db, clock);
    this.displays = new DisplayStore(o.db, clock);
    this.throttle = new LoginThrottle({ clock, ...o.throttle });
    this.loginAttempts = new Counter({
      name: 'hub_login_attempts_total',
      help: 'HTTP login attempts by result: ok, failed (wrong name or password, disabled), throttled (refused unchecked)',
      labelNames: ['result'],
      registers: o.metricsRegistry ? [o.metricsRegistry] : [],
    });
  }

  /**
   * The first admin: from HUB_BOOTSTRAP_ADMIN (only while no user exists), else a one-time
   * setup token printed in the log, valid until an account exists (a new one each start).
   */
  async start(bootstrapAdmin?: string): Promise<void> {
    if (this.users.count() === 0 && bootstrapAdmin) {
      const i = bootstrapAdmin.indexOf(':');
      const username = bootstrapAdmin.slice(0, i);
      const password = bootstrapAdmin.slice(i + 1);
      if (!passwordAcceptable(password)) throw new Error(`HUB_BOOTSTRAP_ADMIN: the password must be at least ${MIN_PASSWORD_LENGTH} characters`);
      if (await this.users.createFirst({ username, password, role: 'admin' })) {
        this.audit.record({ actor: 'bootstrap', action: 'user.create', target: username, detail: { role: 'admin', via: 'HUB_BOOTSTRAP_ADMIN' } });
        this.o.log.info({ username }, 'created the first admin from HUB_BOOTSTRAP_ADMIN');
      }
    }
    if (this.users.count() === 0) {
      this.setupToken = newToken();
      this.o.log.warn(
        { setupToken: this.setupToken },
        `no account exists yet: create the first admin with POST /api/auth/setup {"token":"${this.setupToken}","username":…,"password":…} or "npm run admin -- create-admin <name>"`,
      );
    }
    this.purgeTimer = setInterval(() => this.sessions.purgeExpired(), 10 * 60_000);
    this.purgeTimer.unref();
  }

  stop(): void {
    clearInterval(this.purgeTimer);
  }

  get setupOpen(): boolean {
    return this.setupToken !== undefined && this.users.count() === 0;
  }

  async setup(token: string, user: Omit<NewUser, 'role'>, ip: string): Promise<void> {
    if (!this.setupToken || !sameSecret(token, this.setupToken) || this.users.count() > 0) throw new AuthErrors.SetupClosed();
    if (!passwordAcceptable(user.password)) throw new AuthErrors.WeakPassword(MIN_PASSWORD_LENGTH);
    if (!(await this.users.createFirst({ ...user, role: 'admin' }))) throw new AuthErrors.SetupClosed();
    this.setupToken = undefined;
    this.audit.record({ actor: user.username, action: 'user.create', target: user.username, ip, detail: { role: 'admin', via: 'setup token' } });
  }

  /** Checks a password under the throttle (by name and source address); audits and counts success and failure. */
  async login(username: string, password: string, ip: string): Promise<LoginResult> {
    const verdict = this.throttle.verdict(username, ip);
    if (verdict.waitMs > 0) {
      this.loginAttempts.inc({ result: 'throttled' });
      this.audit.record({ actor: username, action: 'auth.login_throttled', ip, ok: false, detail: { waitS: Math.ceil(verdict.waitMs / 1000), by: verdict.by } });
      throw new AuthErrors.Throttled(Math.ceil(verdict.waitMs / 1000));
    }
    const user = this.users.get(username);
    const hash = user ? this.users.passwordHash(user.username) : undefined;
    const ok = hash ? await verifyPassword(hash, password) : (await burnPasswordCheck(password), false);
    if (!ok || !user || user.disabled) {
      const next = this.throttle.failure(username, ip);
      this.loginAttempts.inc({ result: 'failed' });
      this.audit.record({ actor: username, action: 'auth.login_failed', ip, ok: false, detail: { waitS: Math.ceil(next.waitMs / 1000), ...(next.by ? { by: next.by } : {}) } });
      throw new AuthErrors.BadCredentials();
    }
    this.throttle.success(username, ip);
    this.loginAttempts.inc({ result: 'ok' });
    const { token, session } = this.sessions.create(user.username);
    this.audit.record({ actor: user.username, action: 'auth.login', ip });
    return { token, session, principal: principalFor(user, this.o.grid) };
  }

  /**
   * The session and who it belongs to, or undefined (expired, revoked, user gone or disabled).
   * Using a session slides its expiry (`renewed`: it moved, so a cookie carrying it is re-issued).
   */
  resolve(token: string): { session: Session; principal: Principal; renewed: boolean } | undefined {
    const session = this.sessions.lookup(token);
    if (!session) {
      const display = this.displays.resolve(token);
      return display && { ...display, renewed: false };
    }
    const user = this.users.get(session.username);
    if (!user || user.disabled) {
      this.sessions.revoke(session);
      return undefined;
    }
    const renewed = this.sessions.touch(session);
    return { session, principal: principalFor(user, this.o.grid), renewed };
  }
}
