import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressKey, LoginThrottle } from '../../server/src/auth/throttle.ts';
import { loadConfig } from '../../server/src/config.ts';
import { Hub } from '../../server/src/hub.ts';
import { createLogger } from '../../server/src/log.ts';
import { TEST_ADMIN, TEST_BOOTSTRAP_ADMIN } from '../helpers/auth.ts';
import { tempDataDir } from '../helpers/hub.ts';

const ATTACKER = '203.0.113.66';
const OWNER = '198.51.100.7';

describe('login throttle (unit, injected clock)', () => {
  it('an address hammering one name never slows that name from another address', () => {
    const clock = { now: 1_000_000 };
    const t = new LoginThrottle({ clock: () => clock.now });
    // A patient attacker: 1,000 guesses, each as soon as allowed, plus a flood inside every wait.
    for (let i = 0; i < 1000; i++) {
      clock.now += t.waitMs('admin', ATTACKER);
      t.failure('admin', ATTACKER);
      expect(t.waitMs('admin', OWNER)).toBe(0);
    }
    expect(t.waitMs('admin', OWNER)).toBe(0);
    expect(t.waitMs('admin', ATTACKER)).toBeLessThanOrEqual(60_000);
  });

  it('from the same address the waits grow, then stay at about a minute, and are forgotten after 15 minutes', () => {
    const clock = { now: 0 };
    const t = new LoginThrottle({ clock: () => clock.now });
    const waits: number[] = [];
    for (let i = 0; i < 30; i++) {
      clock.now += t.waitMs('admin', ATTACKER);
      waits.push(t.failure('admin', ATTACKER).waitMs);
    }
    expect(waits.slice(0, 9)).toEqual([0, 0, 1000, 2000, 4000, 8000, 16000, 32000, 60000]);
    expect(Math.max(...waits)).toBe(60_000);
    clock.now += 15 * 60_000 + 1;
    expect(t.waitMs('admin', ATTACKER)).toBe(0);
    expect(t.failure('admin', ATTACKER).waitMs).toBe(0);
  });

  it('password spraying: many names from one address slow that address, not others, and never beyond a minute', () => {
    const clock = { now: 0 };
    const t = new LoginThrottle({ clock: () => clock.now });
    const waits: number[] = [];
    for (let i = 0; i < 200; i++) {
      const name = `user${i}`;
      clock.now += t.waitMs(name, ATTACKER);
      waits.push(t.failure(name, ATTACKER).waitMs);
    }
    // Each name failed once (under its own budget): the address budget imposed these.
    expect(waits.slice(0, 19).every((w) => w === 0)).toBe(true);
    expect(waits[19]).toBe(1000);
    expect(Math.max(...waits)).toBe(60_000);
    expect(t.verdict('someone-new', ATTACKER).by).toBe('address');
    expect(t.waitMs('someone-new', OWNER)).toBe(0);
  });

  it('IPv6 counts per /64; IPv4-mapped addresses count as IPv4', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:0db8:0001:0002:ffff:1:2:3'));
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
    expect(addressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    const t = new LoginThrottle({ clock: () => 0, freeAttempts: 1 });
    t.failure('admin', '2001:db8:1:2::1');
    expect(t.waitMs('admin', '2001:db8:1:2::beef')).toBeGreaterThan(0);
    expect(t.waitMs('admin', '2001:db8:9:9::1')).toBe(0);
  });
});

describe('login throttle through the hub (injected clock, source addresses via inject)', () => {
  let hub: Hub;
  const clock = { now: Date.now() };
  const attempt = (password: string, remoteAddress: string) =>
    hub.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: TEST_ADMIN.username, password }, remoteAddress });

  beforeAll(async () => {
    const config = loadConfig({}, { port: 0, mqttPort: 0, dataDir: tempDataDir('throttle'), bootstrapAdmin: TEST_BOOTSTRAP_ADMIN, logLevel: 'silent', loginRateLimit: 1_000_000, httpRateLimit: 1_000_000 });
    hub = new Hub(config, createLogger('silent'), { clock: () => clock.now });
    await hub.start();
  });
  afterAll(async () => hub?.stop());

  it('an attacker cannot lock the admin out; the owner waits at most a minute even from the attacker address; failures are audited and counted', async () => {
    let failed = 0;
    let throttled = 0;
    const waitsS: number[] = [];
    // Two simulated hours of guessing, each as soon as allowed, with a burst inside every wait.
    for (let i = 0; i < 60; i++) {
      const res = await attempt(`wrong-guess-${i}`, ATTACKER);
      expect(res.statusCode).toBe(401);
      failed++;
      for (let j = 0; j < 3; j++) {
        const r = await attempt(`flood-${i}-${j}`, ATTACKER);
        if (r.statusCode === 200) throw new Error('a wrong password logged in');
        if (r.statusCode === 429) {
          throttled++;
          const s = Number(/in (\d+) s/.exec(r.json<{ message: string }>().message)?.[1]);
          if (j === 0) waitsS.push(s);
        } else failed++;
      }
      // The owner, from home, is never slowed.
      if (i % 10 === 9) expect((await attempt(TEST_ADMIN.password, OWNER)).statusCode).toBe(200);
      clock.now += hub.security.auth.throttle.waitMs(TEST_ADMIN.username, ATTACKER);
    }
    expect(Math.max(...waitsS)).toBe(60);
    // From the attacker's own address (same NAT), the owner waits out at most the current wait.
    const refused = await attempt(TEST_ADMIN.password, ATTACKER);
    let waitS = 0;
    if (refused.statusCode === 429) {
      expect(refused.json()).toMatchObject({ error: 'LOGIN_THROTTLED' });
      waitS = Number(/in (\d+) s/.exec(refused.json<{ message: string }>().message)?.[1]);
      expect(waitS).toBeGreaterThan(0);
      expect(waitS).toBeLessThanOrEqual(60);
    }
    clock.now += waitS * 1000;
    expect((await attempt(TEST_ADMIN.password, ATTACKER)).statusCode).toBe(200);

    const audit = await hub.security.auth.audit.list({ limit: 5000 });
    expect(audit.filter((e) => e.action === 'auth.login_failed' && e.ip === ATTACKER)).toHaveLength(failed);
    expect(audit.filter((e) => e.action === 'auth.login_throttled' && e.ip === ATTACKER).length).toBe(throttled + (waitS > 0 ? 1 : 0));
    const metrics = await hub.metrics.registry.getSingleMetricAsString('hub_login_attempts_total');
    expect(metrics).toContain(`hub_login_attempts_total{result="failed"} ${failed}`);
    expect(metrics).toMatch(/hub_login_attempts_total\{result="throttled"\} [1-9]/);
  });
});
