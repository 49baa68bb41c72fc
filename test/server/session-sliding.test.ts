// Sessions slide with activity (issue 16, a shift-proof wall screen): used past half its life, a
// session's end moves a full TTL ahead, in SQLite and in the cookie; an idle one still ends.
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteSessionStore } from '../../server/src/auth/sessions.ts';
import { loadConfig } from '../../server/src/config.ts';
import { Hub } from '../../server/src/hub.ts';
import { createLogger } from '../../server/src/log.ts';
import { TEST_ADMIN, TEST_BOOTSTRAP_ADMIN } from '../helpers/auth.ts';
import { tempDataDir } from '../helpers/hub.ts';
import { memoryStateDb } from '../helpers/state-db.ts';

describe('SessionStore.touch (injected clock)', () => {
  it('moves the end a full TTL ahead once past half the life, persists it, and lets idle sessions end', async () => {
    let now = 1_000_000;
    const db = memoryStateDb();
    const store = new SqliteSessionStore(db, 10_000, () => now);
    const { token, session } = await store.create('op');
    expect(session.expiresAt).toBe(now + 10_000);

    now += 4_000; // 6 s left: more than half, nothing to write
    expect(await store.touch(session)).toBe(false);
    expect(session.expiresAt).toBe(1_010_000);

    now += 2_000; // 4 s left: slides
    expect(await store.touch(session)).toBe(true);
    expect(session.expiresAt).toBe(now + 10_000);
    // survives a restart: a new store on the same database reads the moved end
    expect((await new SqliteSessionStore(db, 10_000, () => now).lookup(token))?.session.expiresAt).toBe(now + 10_000);

    now += 10_001; // idle for a whole TTL: ended
    expect(await store.lookup(token)).toBeUndefined();
    expect(await store.touch(session)).toBe(false);
  });
});

describe('sliding sessions over HTTP (hub with an injected clock)', () => {
  let offset = 0;
  const hubs: Hub[] = [];
  afterAll(async () => {
    for (const h of hubs) await h.stop();
  });

  it('a cookie session in use is renewed with a fresh cookie; one left idle answers 401', async () => {
    const config = loadConfig({}, { port: 0, mqttPort: 0, dataDir: tempDataDir('sliding'), bootstrapAdmin: TEST_BOOTSTRAP_ADMIN, logLevel: 'silent', sessionTtlS: 600 });
    const hub = new Hub(config, createLogger('silent'), { clock: () => Date.now() + offset });
    hubs.push(hub);
    await hub.start();
    const res = await fetch(`${hub.httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(TEST_ADMIN) });
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const first = ((await res.json()) as { expiresAt: number }).expiresAt;
    const me = () => fetch(`${hub.httpUrl}/api/auth/me`, { headers: { cookie } });

    // early in the session: no renewal, no new cookie
    const early = await me();
    expect(early.status).toBe(200);
    expect(early.headers.get('set-cookie')).toBeNull();

    // 8 minutes into a 10-minute session, the screen is still in use: it slides
    offset = 8 * 60_000;
    const late = await me();
    expect(late.status).toBe(200);
    const renewed = late.headers.get('set-cookie') ?? '';
    expect(renewed).toContain(cookie);
    expect(renewed).toMatch(/Max-Age=600/);
    expect(renewed).toMatch(/HttpOnly/);
    expect(renewed).toMatch(/SameSite=Strict/);
    const moved = ((await late.json()) as { expiresAt: number }).expiresAt;
    expect(moved).toBeGreaterThan(first + 7 * 60_000);

    // past the first end, the session lives on because it was used
    offset = 12 * 60_000;
    expect((await me()).status).toBe(200);

    // left idle for longer than the TTL, it ends
    offset = 30 * 60_000;
    expect((await me()).status).toBe(401);
  });
});
