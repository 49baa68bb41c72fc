import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../server/src/auth/audit.ts';
import type { Hub } from '../../../server/src/hub.ts';
import { adminSession, authedFetch, login, type HubSession } from '../../helpers/auth.ts';
import { startHub } from '../../helpers/hub.ts';
import { waitFor } from '../../helpers/ports.ts';

const PW = 'long-enough-password';

/** Every audited HTTP action, end to end: the entries the hand-built calls wrote, field for field. */
describe('audit entries of the HTTP actions', () => {
  let hub: Hub;
  let s: HubSession;
  const entries = async () => (await hub.security.auth.audit.list({ limit: 1000 })).reverse();
  const call = async (fetcher: HubSession['fetch'], method: string, path: string, body?: unknown) => {
    const res = await fetcher(`${hub.httpUrl}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    expect(res.status, `${method} ${path}: ${res.status}`).toBeLessThan(300);
    return res;
  };

  beforeAll(async () => {
    hub = await startHub();
    s = await adminSession(hub.httpUrl, 'audit-gw');
  });
  afterAll(async () => hub?.stop());

  it('records actor, action, target, detail and address of each successful action, and nothing for refused ones', async () => {
    const before = (await entries()).length;
    await call(s.fetch, 'POST', '/api/users', { username: 'op', password: PW, role: 'operator', communities: ['c1'] });
    await call(s.fetch, 'PATCH', '/api/users/OP', { displayName: 'Op', password: `${PW}-2`, unlock: true });
    await call(s.fetch, 'POST', '/api/devices', { id: 'd1', kind: 'smoke', communityId: 'c1' });
    await call(s.fetch, 'POST', '/api/devices/d1/credentials');
    await call(s.fetch, 'DELETE', '/api/mqtt/credentials/d1');
    await call(s.fetch, 'GET', '/api/mqtt/mosquitto-config');
    const client = await mqtt.connectAsync(hub.mqttUrl, { ...s.gateway, clientId: s.gateway.username, reconnectPeriod: 0 });
    await client.publishAsync('community/c1/smoke/s9/event', JSON.stringify({ type: 'alarm' }), { qos: 1 });
    await client.endAsync();
    const alert = await waitFor(() => hub.alerts.unresolved().find((a) => a.deviceId === 's9'), { what: 'the s9 alert' });
    await call(s.fetch, 'POST', `/api/alerts/${alert.id}/ack`);
    await call(s.fetch, 'POST', `/api/alerts/${alert.id}/assign`, { assignee: '  w1 ' });
    await call(s.fetch, 'POST', `/api/alerts/${alert.id}/resolve`, { note: '  handled \n' });
    const op = authedFetch(await login(hub.httpUrl, { username: 'op', password: `${PW}-2` }));
    await call(op, 'POST', '/api/auth/password', { currentPassword: `${PW}-2`, newPassword: `${PW}-3` });
    const op2 = authedFetch(await login(hub.httpUrl, { username: 'op', password: `${PW}-3` }));
    await call(op2, 'POST', '/api/auth/logout');
    // Refused: no entry.
    expect((await s.fetch(`${hub.httpUrl}/api/alerts/${alert.id}/ack`, { method: 'POST' })).status).toBe(409);
    expect((await s.fetch(`${hub.httpUrl}/api/mqtt/credentials/d1`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${hub.httpUrl}/api/auth/logout`, { method: 'POST' })).status).toBe(200);

    const got = (await entries()).slice(before);
    const ip = got[0]!.ip;
    expect(ip).toMatch(/127\.0\.0\.1|::1/);
    expect(got.every((e) => e.ip === ip && e.ok)).toBe(true);
    const shape = (e: AuditEntry) => [e.actor, e.action, e.target, e.detail];
    expect(got.map(shape)).toEqual([
      ['admin', 'user.create', 'op', { role: 'operator', communities: ['c1'] }],
      ['admin', 'user.update', 'op', { displayName: 'Op', password: 'changed', unlock: true }],
      ['admin', 'device.provision', 'd1', { kind: 'smoke', communityId: 'c1' }],
      ['admin', 'device.credential_rotate', 'd1', null],
      ['admin', 'mqtt.credential_revoke', 'd1', { type: 'device' }],
      ['admin', 'mqtt.config_export', null, null],
      ['admin', 'alert.ack', alert.id, null],
      ['admin', 'alert.assign', alert.id, { assignee: 'w1' }],
      ['admin', 'alert.resolve', alert.id, { note: 'handled' }],
      ['op', 'auth.login', null, null],
      ['op', 'user.password', 'op', null],
      ['op', 'auth.login', null, null],
      ['op', 'auth.logout', null, null],
    ]);
  });

  it('gateway.create names the gateway and its communities', async () => {
    const e = (await entries()).find((x) => x.action === 'gateway.create');
    expect(e && shape(e)).toEqual(['admin', 'gateway.create', 'audit-gw', { communities: ['*'] }]);
  });
});

function shape(e: AuditEntry) {
  return [e.actor, e.action, e.target, e.detail];
}
