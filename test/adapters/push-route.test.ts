import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../server/src/hub.ts';
import { adminSession, type HubSession } from '../helpers/auth.ts';
import { ctwing, onenetPlainBody, post, startPlatformHub, TOKENS } from './platform-clients.ts';

const PRODUCT = '15100001';
const IMEI = '861234567890777';

/**
 * The push routes are machine-to-machine (docs/platforms.md): they skip the dashboard's browser
 * hooks (helmet, session lookup) yet still refuse what they must, counted by reason.
 */
describe('platform push routes', () => {
  let hub: Hub;
  let s: HubSession;
  let url: string;
  let sn = 1;
  const report = (serviceData: Record<string, unknown> = { battery_value: 80 }) =>
    JSON.stringify(ctwing.dataReport({ productId: PRODUCT, deviceId: `${PRODUCT}${IMEI}`, imei: IMEI, sn: sn++, ts: Date.now() - 1000, serviceData }));

  beforeAll(async () => {
    hub = await startPlatformHub([{ id: IMEI, kind: 'smoke', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1' }]);
    s = await adminSession(hub.httpUrl);
    url = `${hub.httpUrl}/api/ingest/ctwing/${PRODUCT}?token=${TOKENS.CTWING_SMOKE_TOKEN}`;
  });
  afterAll(async () => hub?.stop());

  async function rejected(): Promise<Record<string, number>> {
    return ((await (await s.fetch(`${hub.httpUrl}/api/ingest/rejected`)).json()) as { byReason: Record<string, number> }).byReason;
  }

  it('takes a signed push without any session, sets no cookie, and answers with the fixed no-content headers', async () => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: report() });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('neither reads nor renews a browser session sent along, and a session never stands in for the platform token', async () => {
    const withCookie = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', cookie: `hub_session=${s.token}` }, body: report() });
    expect(withCookie.status).toBe(200);
    expect(withCookie.headers.get('set-cookie')).toBeNull();
    const before = await rejected();
    const noToken = `${hub.httpUrl}/api/ingest/ctwing/${PRODUCT}`;
    expect((await post(noToken, report(), { authorization: `Bearer ${s.token}` })).status).toBe(401);
    expect((await post(noToken, report(), { cookie: `hub_session=${s.token}`, 'x-requested-with': 'x' })).status).toBe(401);
    expect((await rejected()).bad_signature ?? 0).toBe((before.bad_signature ?? 0) + 2);
  });

  it('refuses a bad token and a bad OneNET signature, counted as bad_signature', async () => {
    const before = await rejected();
    expect((await post(`${hub.httpUrl}/api/ingest/ctwing/${PRODUCT}?token=not-the-token`, report())).status).toBe(401);
    const forged = onenetPlainBody('not-the-onenet-token', { type: 1, dev_id: 1, ds_id: 'battery', at: Date.now(), value: 50 });
    expect((await post(`${hub.httpUrl}/api/ingest/onenet/onenet-smoke`, forged)).status).toBe(401);
    expect((await rejected()).bad_signature ?? 0).toBe((before.bad_signature ?? 0) + 2);
  });

  it('refuses a body over the 64 KiB limit (413) before it reaches the adapter, still with the platform headers', async () => {
    const big = report({ battery_value: 80, padding: 'x'.repeat(70 * 1024) });
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(res.status).toBe(413);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('the dashboard and the API keep the full browser headers', async () => {
    const res = await s.fetch(`${hub.httpUrl}/api/ingest/rejected`);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  });
});
