import { afterEach, describe, expect, it } from 'vitest';
import { PAIRING_TTL_MS } from '../../../server/src/auth/displays.ts';
import { verifyPassword } from '../../../server/src/auth/passwords.ts';
import type { AuthStores } from '../../../server/src/auth/service.ts';

export const TTL = 10_000;

/** The same state seen by two store instances: two hubs on one database, or one hub after a restart. */
export interface AuthStoresUnderTest {
  stores: AuthStores;
  /** Another instance on the same state, with its own memory. */
  other(): Promise<AuthStores>;
  close(): Promise<void>;
}

export type AuthStoresFactory = (clock: () => number) => Promise<AuthStoresUnderTest>;

const PASSWORD = 'correct horse battery';

/** One contract, every store: the cases every implementation of the auth state must pass. */
export function describeAuthStores(name: string, factory: AuthStoresFactory): void {
  describe(`auth state contract: ${name}`, () => {
    let now = 1_000_000;
    const clock = () => now;
    const open: AuthStoresUnderTest[] = [];
    const start = async () => {
      now = 1_000_000;
      const s = await factory(clock);
      open.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });

    it('users: create, get and list case-insensitively; a name taken in another case is refused', async () => {
      const { stores } = await start();
      const { users } = stores;
      expect(await users.count()).toBe(0);
      expect(await users.create({ username: 'Op1', password: PASSWORD, role: 'operator', communities: ['c1', 'c2'], displayName: '值班员' }, 5000)).toBe(true);
      expect(await users.create({ username: 'admin', password: PASSWORD, role: 'admin' })).toBe(true);
      expect(await users.create({ username: 'OP1', password: PASSWORD, role: 'viewer' })).toBe(false);
      expect(await users.count()).toBe(2);
      expect(await users.get('op1')).toEqual({ username: 'Op1', role: 'operator', displayName: '值班员', communities: ['c1', 'c2'], cells: [], workerId: null, disabled: false, createdAt: 5000 });
      expect(await users.get('nobody')).toBeUndefined();
      expect((await users.list()).map((u) => u.username)).toEqual(['admin', 'Op1']);
    });

    it('users: the password hash round-trips and changes with the password', async () => {
      const { users } = (await start()).stores;
      await users.create({ username: 'w1', password: PASSWORD, role: 'worker', cells: ['g1'], workerId: 'wk-1' });
      const hash = (await users.passwordHash('W1'))!;
      expect(await verifyPassword(hash, PASSWORD)).toBe(true);
      expect(await verifyPassword(hash, 'wrong password here')).toBe(false);
      await users.update('w1', { password: 'another long password' });
      const next = (await users.passwordHash('w1'))!;
      expect(next).not.toBe(hash);
      expect(await verifyPassword(next, 'another long password')).toBe(true);
      expect(await users.passwordHash('nobody')).toBeUndefined();
    });

    it('users: update changes only what the patch names; disable; remove', async () => {
      const { users } = (await start()).stores;
      await users.create({ username: 'op', password: PASSWORD, role: 'operator', communities: ['c1'], displayName: 'Op' });
      const updated = await users.update('OP', { role: 'viewer', communities: ['c2'], displayName: null });
      expect(updated).toMatchObject({ username: 'op', role: 'viewer', communities: ['c2'], displayName: null, disabled: false });
      expect(await users.update('op', { disabled: true })).toMatchObject({ role: 'viewer', communities: ['c2'], disabled: true });
      expect((await users.get('op'))!.disabled).toBe(true);
      expect(await users.update('op', { disabled: false, workerId: 'wk-2', cells: ['g2'] })).toMatchObject({ disabled: false, workerId: 'wk-2', cells: ['g2'] });
      expect(await users.update('nobody', { role: 'admin' })).toBeUndefined();
      expect(await users.remove('OP')).toBe(true);
      expect(await users.remove('op')).toBe(false);
      expect(await users.get('op')).toBeUndefined();
    });

    it('users: createFirst creates only while no account exists', async () => {
      const { users } = (await start()).stores;
      expect(await users.createFirst({ username: 'first', password: PASSWORD, role: 'admin' })).toBe(true);
      expect(await users.createFirst({ username: 'second', password: PASSWORD, role: 'admin' })).toBe(false);
      expect((await users.list()).map((u) => u.username)).toEqual(['first']);
      expect((await users.get('first'))!.role).toBe('admin');
    });

    it('sessions: create and resolve with the account in one lookup; unknown, overlong and orphaned tokens resolve to nothing', async () => {
      const { stores } = await start();
      await stores.users.create({ username: 'op', password: PASSWORD, role: 'operator', communities: ['c1'] });
      const { token, session } = await stores.sessions.create('op');
      expect(session).toMatchObject({ username: 'op', createdAt: now, expiresAt: now + TTL, revoked: false });
      const found = await stores.sessions.lookup(token);
      expect(found?.session.digest).toBe(session.digest);
      expect(found?.user).toMatchObject({ username: 'op', role: 'operator', communities: ['c1'] });
      expect(await stores.sessions.lookup('not-a-token')).toBeUndefined();
      expect(await stores.sessions.lookup('x'.repeat(201))).toBeUndefined();
      // the account went away: the session still resolves, without a user (the service then revokes it)
      await stores.users.remove('op');
      expect((await (await (open.at(-1)!.other())).sessions.lookup(token))?.user).toBeUndefined();
    });

    it('sessions: slide once past half their life, persisted for another instance; an idle one ends', async () => {
      const under = await start();
      const { sessions } = under.stores;
      const { token, session } = await sessions.create('op');
      now += 4_000;
      expect(await sessions.touch(session)).toBe(false);
      expect(session.expiresAt).toBe(1_000_000 + TTL);
      now += 2_000;
      expect(await sessions.touch(session)).toBe(true);
      expect(session.expiresAt).toBe(now + TTL);
      expect((await (await under.other()).sessions.lookup(token))?.session.expiresAt).toBe(now + TTL);
      now += TTL + 1;
      expect(sessions.alive(session)).toBe(false);
      expect(await sessions.lookup(token)).toBeUndefined();
      expect(await sessions.touch(session)).toBe(false);
      expect(await (await under.other()).sessions.lookup(token)).toBeUndefined();
    });

    it('sessions: revoke ends one session, for this instance and another', async () => {
      const under = await start();
      const { sessions } = under.stores;
      const a = await sessions.create('op');
      const b = await sessions.create('op');
      await sessions.revoke(a.session);
      expect(sessions.alive(a.session)).toBe(false);
      expect(await sessions.lookup(a.token)).toBeUndefined();
      expect(await (await under.other()).sessions.lookup(a.token)).toBeUndefined();
      expect((await sessions.lookup(b.token))?.session.username).toBe('op');
    });

    it("sessions: revokeUser ends all of one user's sessions, whatever the case of the name", async () => {
      const under = await start();
      const { sessions } = under.stores;
      const a = await sessions.create('Op');
      const b = await sessions.create('op');
      const other = await sessions.create('viewer');
      await sessions.revokeUser('OP');
      expect(sessions.alive(a.session)).toBe(false);
      expect(sessions.alive(b.session)).toBe(false);
      const fresh = await under.other();
      expect(await fresh.sessions.lookup(a.token)).toBeUndefined();
      expect(await fresh.sessions.lookup(b.token)).toBeUndefined();
      expect((await fresh.sessions.lookup(other.token))?.session.username).toBe('viewer');
    });

    it('sessions: purgeExpired removes the ended rows and keeps the live ones', async () => {
      const under = await start();
      const { sessions } = under.stores;
      const old = await sessions.create('op');
      now += TTL / 2;
      const young = await sessions.create('op');
      now += TTL / 2 + 1;
      await sessions.purgeExpired();
      const fresh = await under.other();
      // a read past the clock would also refuse it: move the clock back to prove the row is gone
      now -= TTL / 2;
      expect(await fresh.sessions.lookup(old.token)).toBeUndefined();
      expect((await fresh.sessions.lookup(young.token))?.session.expiresAt).toBe(young.session.expiresAt);
    });

    it('audit: appends, lists newest first, filters by action and actor, pages by id, keeps detail and failure', async () => {
      const { audit } = (await start()).stores;
      await audit.record({ actor: 'admin', action: 'user.create', target: 'op', ip: '10.0.0.1', detail: { role: 'operator', communities: ['c1'] } });
      now += 1;
      await audit.record({ actor: 'op', action: 'auth.login_failed', ip: '10.0.0.2', ok: false, detail: { waitS: 2 } });
      now += 1;
      await audit.record({ actor: 'op', action: 'auth.login' });
      now += 1;
      await audit.record({ actor: 'x'.repeat(150), action: 'auth.login', target: 't'.repeat(300) });
      const all = await audit.list();
      expect(all.map((e) => [e.actor.slice(0, 5), e.action, e.at])).toEqual([
        ['xxxxx', 'auth.login', 1_000_003],
        ['op', 'auth.login', 1_000_002],
        ['op', 'auth.login_failed', 1_000_001],
        ['admin', 'user.create', 1_000_000],
      ]);
      expect(all[0]!.actor).toHaveLength(100);
      expect(all[0]!.target).toHaveLength(200);
      expect(all[2]).toMatchObject({ ok: false, ip: '10.0.0.2', target: null, detail: { waitS: 2 } });
      expect(all[3]).toMatchObject({ ok: true, target: 'op', detail: { role: 'operator', communities: ['c1'] } });
      expect(all[1]!.detail).toBeNull();
      expect((await audit.list({ action: 'auth.login' })).map((e) => e.actor.slice(0, 2))).toEqual(['xx', 'op']);
      expect((await audit.list({ actor: 'op' })).map((e) => e.action)).toEqual(['auth.login', 'auth.login_failed']);
      expect((await audit.list({ limit: 2 })).map((e) => e.id)).toEqual([all[0]!.id, all[1]!.id]);
      expect((await audit.list({ beforeId: all[1]!.id })).map((e) => e.id)).toEqual([all[2]!.id, all[3]!.id]);
    });

    it('displays: create with a one-time code, pair once, resolve to a read-only principal in scope, revoke', async () => {
      const under = await start();
      const { displays } = under.stores;
      const { display, code } = await displays.create('大厅屏', ['c1'], 'admin');
      expect(display).toMatchObject({ name: '大厅屏', communities: ['c1'], createdBy: 'admin', createdAt: now, lastSeenAt: null, paired: false });
      expect((await displays.list()).map((d) => d.id)).toEqual([display.id]);
      expect(await displays.pair('wrong-code!!')).toBeUndefined();
      const paired = (await displays.pair(code))!;
      expect(paired.display).toMatchObject({ id: display.id, paired: true });
      expect(await displays.pair(code)).toBeUndefined();
      const who = (await (await under.other()).displays.resolve(paired.token))!;
      expect(who.principal).toMatchObject({ username: `display:${display.id}`, role: 'viewer', display: true, cells: null });
      expect([...who.principal.communities!]).toEqual(['c1']);
      expect((await displays.get(display.id))!.lastSeenAt).toBe(now);
      expect(await displays.revoke(display.id)).toBe(true);
      expect(await displays.revoke(display.id)).toBe(false);
      expect(await displays.resolve(paired.token)).toBeUndefined();
      expect(await displays.get(display.id)).toBeUndefined();
    });

    it('displays: a code expires unused; an all-communities screen is unrestricted', async () => {
      const { displays } = (await start()).stores;
      const late = await displays.create('late', ['c1'], 'admin');
      const all = await displays.create('city', ['c1', '*'], 'admin');
      expect(all.display.communities).toEqual(['*']);
      now += PAIRING_TTL_MS + 1;
      expect(await displays.pair(late.code)).toBeUndefined();
      expect(await displays.pair(all.code)).toBeUndefined();
      const again = await displays.create('city', ['*'], 'admin');
      const token = (await displays.pair(again.code))!.token;
      expect((await displays.resolve(token))!.principal.communities).toBeNull();
    });
  });
}
