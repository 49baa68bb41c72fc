import type Database from 'better-sqlite3';
import { Counter, type Registry } from 'prom-client';
import type { GridModel } from '../grid/model.ts';
import type { Logger } from '../log.ts';
import { AuditLog, type AuditStore } from './audit.ts';
import { AuthErrors } from './errors.ts';
import { SqliteDisplayStore, type DisplayStore } from './displays.ts';
import { burnPasswordCheck, MIN_PASSWORD_LENGTH, passwordAcceptable, verifyPassword } from './passwords.ts';
import { principalFor, type Principal } from './roles.ts';
import { SqliteSessionStore, type Session, type SessionStore } from './sessions.ts';
import { LoginThrottle, type ThrottleOptions } from './throttle.ts';
import { newToken, sameSecret } from './tokens.ts';
import { SqliteUserStore, UserRepository, type NewUser, type UserStore } from './users.ts';

/** The auth state on a store other than the hub's SQLite file (PostgreSQL: state/pg/auth-stores.ts). */
export interface AuthStores {
  users: UserStore;
  sessions: SessionStore;
  audit: AuditStore;
  displays: DisplayStore;
  /** The accounts for synchronous readers (delivery picks a worker's accounts per alert). */
  userList: Pick<UserRepository, 'list'> & { start?(): Promise<void>; stop?(): void };
}

export interface AuthServiceOptions {
  db: Database.Database;
  /** Shared stores (STATE_URL); absent: the SQLite state in `db`. */
  stores?: AuthStores;
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
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly audit: AuditStore;
  readonly throttle: LoginThrottle;
  readonly displays: DisplayStore;
  readonly userList: AuthStores['userList'];
  readonly loginAttempts: Counter<'result'>;
  private setupToken: string | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: AuthServiceOptions) {
    const clock = o.clock ?? Date.now;
    const stores = o.stores ?? sqliteAuthStores(o.db, o.sessionTtlMs, clock);
    this.users = stores.users;
    this.sessions = stores.sessions;
    this.audit = stores.audit;
    this.displays = stores.displays;
    this.userList = stores.userList;
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
    await this.sessions.start?.();
    await this.userList.start?.();
    if ((await this.users.count()) === 0 && bootstrapAdmin) {
      const i = bootstrapAdmin.indexOf(':');
      const username = bootstrapAdmin.slice(0, i);
      const password = bootstrapAdmin.slice(i + 1);
      if (!passwordAcceptable(password)) throw new Error(`HUB_BOOTSTRAP_ADMIN: the password must be at least ${MIN_PASSWORD_LENGTH} characters`);
      if (await this.users.createFirst({ username, password, role: 'admin' })) {
        await this.audit.record({ actor: 'bootstrap', action: 'user.create', target: username, detail: { role: 'admin', via: 'HUB_BOOTSTRAP_ADMIN' } });
        this.o.log.info({ username }, 'created the first admin from HUB_BOOTSTRAP_ADMIN');
      }
    }
    if ((await this.users.count()) === 0) {
      this.setupToken = newToken();
      this.o.log.warn(
        { setupToken: this.setupToken },
        `no account exists yet: create the first admin with POST /api/auth/setup {"token":"${this.setupToken}","username":…,"password":…} or "npm run admin -- create-admin <name>"`,
      );
    }
    this.purgeTimer = setInterval(() => {
      this.sessions.purgeExpired().catch((err: unknown) => this.o.log.warn({ err }, 'purging expired sessions failed'));
    }, 10 * 60_000);
    this.purgeTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.purgeTimer);
    this.userList.stop?.();
    await this.sessions.stop?.();
  }

  async setupOpen(): Promise<boolean> {
    return this.setupToken !== undefined && (await this.users.count()) === 0;
  }

  async setup(token: string, user: Omit<NewUser, 'role'>, ip: string): Promise<void> {
    if (!this.setupToken || !sameSecret(token, this.setupToken) || (await this.users.count()) > 0) throw new AuthErrors.SetupClosed();
    if (!passwordAcceptable(user.password)) throw new AuthErrors.WeakPassword(MIN_PASSWORD_LENGTH);
    if (!(await this.users.createFirst({ ...user, role: 'admin' }))) throw new AuthErrors.SetupClosed();
    this.setupToken = undefined;
    await this.audit.record({ actor: user.username, action: 'user.create', target: user.username, ip, detail: { role: 'admin', via: 'setup token' } });
  }

  /** Checks a password under the throttle (by name and source address); audits and counts success and failure. */
  async login(username: string, password: string, ip: string): Promise<LoginResult> {
    const verdict = this.throttle.verdict(username, ip);
    if (verdict.waitMs > 0) {
      this.loginAttempts.inc({ result: 'throttled' });
      await this.audit.record({ actor: username, action: 'auth.login_throttled', ip, ok: false, detail: { waitS: Math.ceil(verdict.waitMs / 1000), by: verdict.by } });
      throw new AuthErrors.Throttled(Math.ceil(verdict.waitMs / 1000));
    }
    const user = await this.users.get(username);
    const hash = user ? await this.users.passwordHash(user.username) : undefined;
    const ok = hash ? await verifyPassword(hash, password) : (await burnPasswordCheck(password), false);
    if (!ok || !user || user.disabled) {
      const next = this.throttle.failure(username, ip);
      this.loginAttempts.inc({ result: 'failed' });
      await this.audit.record({ actor: username, action: 'auth.login_failed', ip, ok: false, detail: { waitS: Math.ceil(next.waitMs / 1000), ...(next.by ? { by: next.by } : {}) } });
      throw new AuthErrors.BadCredentials();
    }
    this.throttle.success(username, ip);
    this.loginAttempts.inc({ result: 'ok' });
    const { token, session } = await this.sessions.create(user.username);
    await this.audit.record({ actor: user.username, action: 'auth.login', ip });
    return { token, session, principal: principalFor(user, this.o.grid) };
  }

  /**
   * The session and who it belongs to, or undefined (expired, revoked, user gone or disabled).
   * Using a session slides its expiry (`renewed`: it moved, so a cookie carrying it is re-issued).
   */
  async resolve(token: string): Promise<{ session: Session; principal: Principal; renewed: boolean } | undefined> {
    const found = await this.sessions.lookup(token);
    if (!found) {
      const display = await this.displays.resolve(token);
      return display && { ...display, renewed: false };
    }
    const { session, user } = found;
    if (!user || user.disabled) {
      await this.sessions.revoke(session);
      return undefined;
    }
    const renewed = await this.sessions.touch(session);
    return { session, principal: principalFor(user, this.o.grid), renewed };
  }
}

/** The auth state in the hub's SQLite file (the default). */
export function sqliteAuthStores(db: Database.Database, sessionTtlMs: number, clock: () => number = Date.now): AuthStores {
  const repo = new UserRepository(db);
  return {
    users: new SqliteUserStore(repo),
    sessions: new SqliteSessionStore(db, sessionTtlMs, clock),
    audit: new AuditLog(db, clock),
    displays: new SqliteDisplayStore(db, clock),
    userList: repo,
  };
}
