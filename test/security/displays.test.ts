// Kiosk mode (issue 16 item 5): an admin pairs a wall screen once with a one-time code and gets a
// long-lived, revocable display credential that reads its communities and may acknowledge there,
// nothing else. Real hub (SQLite, embedded broker), alerts from devices publishing over MQTT.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import type { Hub } from '../../server/src/hub.ts';
import { startHub, tempDataDir } from '../helpers/hub.ts';
import { adminSession, authedFetch, type HubSession } from '../helpers/auth.ts';
import { waitFor } from '../dashboard/browser.ts';

const CONFIG = {
  communities: [
    { id: 'c1', name: { zh: '幸福里社区', en: 'Xingfuli' }, cells: [{ id: 'c1-g1', name: { zh: '一网格', en: 'Cell 1' }, buildings: [] }] },
    { id: 'c2', name: { zh: '和平社区', en: 'Heping' }, cells: [{ id: 'c2-g1', name: { zh: '和平一网格', en: 'Heping 1' }, buildings: [] }] },
  ],
  devices: [
    { id: 's1', kind: 'smoke', communityId: 'c1', gridCellId: 'c1-g1' },
    { id: 's2', kind: 'smoke', communityId: 'c2', gridCellId: 'c2-g1' },
  ],
};

describe('wall-screen displays (real hub)', () => {
  let hub: Hub;
  let admin: HubSession;
  const alertIds: Record<string, string> = {};

  async function alarm(deviceId: string, community: string): Promise<string> {
    const c = await mqtt.connectAsync(hub.mqttUrl, { clientId: `disp-${deviceId}-${randomBytes(3).toString('hex')}`, reconnectPeriod: 0, ...admin.gateway });
    await c.publishAsync(`community/${community}/smoke/${deviceId}/event`, JSON.stringify({ type: 'alarm' }), { qos: 1 });
    await c.endAsync();
    return waitFor(async () => {
      const r = (await (await admin.fetch(`${hub.httpUrl}/api/alerts?state=unresolved`)).json()) as { alerts: { id: string; deviceId: string }[] };
      return r.alerts.find((a) => a.deviceId === deviceId)?.id;
    }, 20_000, `alert of ${deviceId}`);
  }
  async function pairDisplay(communities: string[]): Promise<{ id: string; token: string; code: string }> {
    const r = await admin.fetch(`${hub.httpUrl}/api/displays`, { method: 'POST', body: JSON.stringify({ name: '值班大屏 1', communities }) });
    expect(r.status).toBe(201);
    const made = (await r.json()) as { display: { id: string; paired: boolean }; code: string; url: string };
    expect(made.display.paired).toBe(false);
    expect(made.url).toContain(encodeURIComponent(made.code));
    const pair = await fetch(`${hub.httpUrl}/api/displays/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: made.code }) });
    expect(pair.status).toBe(200);
    expect(pair.headers.get('set-cookie')).toMatch(/hub_session=.*HttpOnly/i);
    return { id: made.display.id, token: ((await pair.json()) as { token: string }).token, code: made.code };
  }

  beforeAll(async () => {
    const dataDir = tempDataDir('displays');
    const configFile = path.join(dataDir, 'hub-config.json');
    fs.writeFileSync(configFile, JSON.stringify(CONFIG));
    hub = await startHub({ dataDir, configFile });
    admin = await adminSession(hub.httpUrl, 'gw-displays');
    alertIds.c1 = await alarm('s1', 'c1');
    alertIds.c2 = await alarm('s2', 'c2');
  }, 60_000);
  afterAll(async () => {
    await hub?.stop();
  });

  it('pairs once; reads its scope and acknowledges there; no admin, assign or resolve; nothing outside its scope', async () => {
    const d = await pairDisplay(['c1']);
    const f = authedFetch(d.token);
    // the code is single-use
    const again = await fetch(`${hub.httpUrl}/api/displays/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: d.code }) });
    expect(again.status).toBe(401);

    const me = (await (await f(`${hub.httpUrl}/api/auth/me`)).json()) as { user: { role: string; displayName: string; communities: string[]; display?: boolean } };
    expect(me.user).toMatchObject({ role: 'viewer', displayName: '值班大屏 1', communities: ['c1'], display: true });
    const list = (await (await f(`${hub.httpUrl}/api/alerts?state=unresolved`)).json()) as { alerts: { id: string }[] };
    expect(list.alerts.map((a) => a.id)).toEqual([alertIds.c1]);

    expect((await f(`${hub.httpUrl}/api/alerts/${alertIds.c2}/ack`, { method: 'POST', body: '{}' })).status).toBe(403);
    expect((await f(`${hub.httpUrl}/api/alerts/${alertIds.c1}/assign`, { method: 'POST', body: JSON.stringify({ assignee: 'admin' }) })).status).toBe(403);
    expect((await f(`${hub.httpUrl}/api/alerts/${alertIds.c1}/resolve`, { method: 'POST', body: JSON.stringify({ note: 'x' }) })).status).toBe(403);
    const ack = await f(`${hub.httpUrl}/api/alerts/${alertIds.c1}/ack`, { method: 'POST', body: '{}' });
    expect(ack.status).toBe(200);
    expect(((await ack.json()) as { alert: { state: string } }).alert.state).toBe('acknowledged');

    for (const [method, url, body] of [
      ['GET', '/api/users', undefined],
      ['POST', '/api/users', { username: 'x1', password: 'long-enough-pw', role: 'admin' }],
      ['GET', '/api/audit', undefined],
      ['POST', '/api/devices', { id: 'n1', kind: 'smoke', communityId: 'c1' }],
      ['POST', '/api/mqtt/gateways', { id: 'gwx', communities: ['*'] }],
      ['GET', '/api/displays', undefined],
      ['POST', '/api/displays', { name: 'x', communities: ['*'] }],
    ] as const) {
      const r = await f(`${hub.httpUrl}${url}`, { method, ...(body ? { body: JSON.stringify(body) } : {}) });
      expect(r.status, `${method} ${url}`).toBe(403);
    }
    const listed = (await (await admin.fetch(`${hub.httpUrl}/api/displays`)).json()) as { displays: { id: string; paired: boolean; lastSeenAt: number | null }[] };
    expect(listed.displays.find((x) => x.id === d.id)).toMatchObject({ paired: true });
    expect(listed.displays.find((x) => x.id === d.id)?.lastSeenAt).not.toBeNull();
  });

  it('a revoked display is refused at once', async () => {
    const d = await pairDisplay(['*']);
    const f = authedFetch(d.token);
    expect((await f(`${hub.httpUrl}/api/alerts`)).status).toBe(200);
    expect((await admin.fetch(`${hub.httpUrl}/api/displays/${d.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await f(`${hub.httpUrl}/api/alerts`)).status).toBe(401);
    expect((await f(`${hub.httpUrl}/api/auth/me`)).status).toBe(401);
    const audit = (await (await admin.fetch(`${hub.httpUrl}/api/audit?action=display.revoke`)).json()) as { entries: unknown[] };
    expect(audit.entries.length).toBe(1);
  });

  it('refuses a wrong or expired-looking code', async () => {
    const r = await fetch(`${hub.httpUrl}/api/displays/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'not-a-code' }) });
    expect(r.status).toBe(401);
  });
});
