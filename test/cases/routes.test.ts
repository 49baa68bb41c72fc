import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLive } from '../helpers/auth.ts';
import { startCaseHub, type CaseHub } from './case-hub.ts';

const MIN = 60_000;
/** China time (UTC+8). Tuesday 2025-11-04 09:00: working time. */
const cn = (y: number, mo: number, d: number, h: number, mi = 0) => Date.UTC(y, mo - 1, d, h - 8, mi);
const T0 = cn(2025, 11, 4, 9, 0);

const patrol = (over: Record<string, unknown> = {}) => ({ title: '楼道堆物', category: 'hazard', communityId: 'hx', gridCellId: 'g1', description: '1号楼3层楼道堆放纸箱', source: 'patrol', ...over });

/** A JPEG with an EXIF (APP1) segment carrying a fake GPS tag, then a tiny scan. */
function jpegWithExif(): Buffer {
  const exif = Buffer.concat([Buffer.from('Exif\0\0GPSLatitude=31.2304', 'latin1')]);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1]), Buffer.from([0, exif.length + 2]), exif]);
  const app0 = Buffer.concat([Buffer.from([0xff, 0xe0, 0x00, 0x07]), Buffer.from('JFIF\0', 'latin1')]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, app1, Buffer.from([0xff, 0xda, 0x00, 0x02, 0x11, 0x22, 0xff, 0xd9])]);
}

describe('case routes on a real hub', () => {
  let h: CaseHub;
  beforeAll(async () => {
    h = await startCaseHub(T0);
  });
  afterAll(async () => h?.stop());

  const post = (user: string, url: string, payload?: unknown) => h.as(user)({ method: 'POST', url, ...(payload !== undefined ? { payload: payload as object } : {}) });
  const get = (user: string, url: string) => h.as(user)({ method: 'GET', url });

  it('a grid worker reports from patrol: 201, a code of the day, the accept clock running', async () => {
    const first = await post('zhang', '/api/cases', patrol());
    expect(first.status).toBe(201);
    expect(first.body.case).toMatchObject({ code: 'HX01-20251104-0001', stage: 'reported', source: 'patrol', reportedBy: 'zhang', overdue: false, communityId: 'hx', gridCellId: 'g1', deadlines: { accepted: T0 + 30 * MIN } });
    expect(first.body.case.history).toEqual([{ at: T0, action: 'reported', by: 'zhang', stage: 'reported', detail: { source: 'patrol' } }]);
    const second = await post('zhang', '/api/cases', patrol({ title: '第二件' }));
    expect(second.body.case.code).toBe('HX01-20251104-0002');
  });

  it('refuses reports outside the caller’s scope or role, and bad ones', async () => {
    expect((await post('zhang', '/api/cases', patrol({ gridCellId: 'g2' }))).status).toBe(403);
    expect((await post('op', '/api/cases', patrol({ communityId: 'yq', gridCellId: 'y1' }))).status).toBe(403);
    expect((await post('viewer', '/api/cases', patrol())).status).toBe(403);
    expect((await post('zhang', '/api/cases', patrol({ source: 'resident' }))).status).toBe(403);
    expect((await post('zhang', '/api/cases', patrol({ category: 'nosuch' }))).body).toMatchObject({ error: 'CASE_UNKNOWN_CATEGORY' });
    expect((await post('zhang', '/api/cases', patrol({ title: '' }))).status).toBe(400);
    expect((await post('public', '/api/cases', patrol())).status).toBe(401);
  });

  it('walks every stage through the routes, each by the role it is for', async () => {
    const id = (await post('zhang', '/api/cases', patrol())).body.case.id as string;
    const act = (user: string, action: string, body?: unknown) => post(user, `/api/cases/${id}/${action}`, body);
    h.clock.now = T0 + 5 * MIN;
    expect((await act('zhang', 'accept')).status).toBe(403);
    expect((await act('op', 'close')).body).toMatchObject({ error: 'CASE_WRONG_STAGE' });
    expect((await act('op', 'close')).status).toBe(409);
    expect((await act('op', 'accept', { note: '已受理' })).body.case.stage).toBe('accepted');
    expect((await act('op', 'register')).body.case.stage).toBe('registered');
    const dispatched = await act('op', 'dispatch', { assignee: 'zhang' });
    expect(dispatched.body.case).toMatchObject({ stage: 'dispatched', assignee: 'zhang' });
    // A worker of another cell does not see it at all.
    expect((await get('wang', `/api/cases/${id}`)).status).toBe(403);
    expect((await post('wang', `/api/cases/${id}/dispose`, { note: 'x' })).status).toBe(403);
    const mine = await get('zhang', `/api/cases/${id}`);
    expect(mine.body.actions).toEqual(['dispose', 'extend', 'receive']);
    h.clock.now = T0 + 60 * MIN;
    expect((await act('zhang', 'dispose', { note: '已清理' })).body.case.stage).toBe('disposed');
    expect((await act('zhang', 'verify', { passed: true })).status).toBe(403);
    const back = await act('li', 'verify', { passed: false, note: '还有两箱' });
    expect(back.body.case).toMatchObject({ stage: 'dispatched', reworkCount: 1 });
    await act('zhang', 'dispose', { note: '全部清走' });
    expect((await act('li', 'verify', { passed: true, note: '核查通过' })).body.case.stage).toBe('verified');
    expect((await act('op', 'close')).body.case.stage).toBe('closed');
    expect((await act('li', 'revisit', { satisfied: true })).status).toBe(403);
    const done = await act('op', 'revisit', { satisfied: true, note: '居民满意' });
    expect(done.body.case).toMatchObject({ stage: 'revisited', satisfied: true, reworkCount: 1 });
    expect(done.body.case.history.map((x: { action: string; by: string }) => `${x.action}:${x.by}`)).toEqual([
      'reported:zhang', 'accept:op', 'register:op', 'dispatch:op', 'dispose:zhang', 'verify:li', 'dispose:zhang', 'verify:li', 'close:op', 'revisit:op',
    ]);
    expect(done.body.actions).toEqual([]);
    // Unknown action or bad body: 400 before anything changes.
    expect((await act('op', 'explode')).status).toBe(400);
    expect((await act('op', 'dispatch', { assignee: 'x', extra: 1 })).status).toBe(400);
    // Every step is in the audit log.
    const audit = await get('admin', '/api/audit?action=case.action');
    expect(audit.body.entries.filter((e: { target: string }) => e.target === id)).toHaveLength(9);
  });

  it('extension: a worker asks, the supervisor approves; until as ISO-8601', async () => {
    h.clock.now = T0;
    const id = (await post('zhang', '/api/cases', patrol())).body.case.id as string;
    for (const [a, b] of [['accept', {}], ['register', {}], ['dispatch', { assignee: 'zhang' }]] as const) await post('op', `/api/cases/${id}/${a}`, b);
    const c = (await get('zhang', `/api/cases/${id}`)).body.case;
    const until = new Date(c.deadlines.disposed + 86_400_000).toISOString();
    const asked = await post('zhang', `/api/cases/${id}/extend`, { until, reason: '等物业' });
    expect(asked.body.case.extensionRequest).toMatchObject({ by: 'zhang', until: c.deadlines.disposed + 86_400_000 });
    expect((await post('op', `/api/cases/${id}/approve-extension`, { approved: true })).status).toBe(403);
    const ok = await post('li', `/api/cases/${id}/approve-extension`, { approved: true, note: '同意' });
    expect(ok.body.case).toMatchObject({ extensionCount: 1, extensionRequest: null, deadlines: { disposed: c.deadlines.disposed + 86_400_000 } });
    expect((await post('li', `/api/cases/${id}/supervise`, { note: '督办' })).body.case.supervised).toBe(true);
    expect((await post('zhang', `/api/cases/${id}/extend`, { until: 'soon', reason: 'x' })).status).toBe(400);
  });

  it('lists with filters, within scope', async () => {
    h.clock.now = T0;
    await post('opall', '/api/cases', patrol({ communityId: 'yq', gridCellId: 'y1', title: '阳泉' }));
    const all = await get('opall', '/api/cases');
    const hxOnly = await get('op', '/api/cases');
    expect(all.body.total).toBe(hxOnly.body.total + 1);
    expect(hxOnly.body.cases.every((c: { communityId: string }) => c.communityId === 'hx')).toBe(true);
    expect((await get('zhang', '/api/cases')).body.cases.every((c: { gridCellId: string }) => c.gridCellId === 'g1')).toBe(true);
    expect((await get('opall', '/api/cases?communityId=yq')).body.total).toBe(1);
    expect((await get('opall', '/api/cases?stage=revisited')).body.total).toBe(1);
    expect((await get('opall', '/api/cases?overdue=true')).body.total).toBe(0);
    expect((await get('opall', `/api/cases?from=${T0 + 1}`)).body.total).toBe(0);
    expect((await get('opall', `/api/cases?to=${new Date(T0 + 1).toISOString()}`)).body.total).toBe(all.body.total);
    expect((await get('opall', '/api/cases?from=yesterday')).status).toBe(400);
    expect((await get('opall', '/api/cases/k-00000000-0000-0000-0000-000000000000')).status).toBe(404);
  });

  it('a fire alarm opens a case by itself; live dashboards hear of it', async () => {
    h.hub.registry.provision({ id: 's1', kind: 'smoke', communityId: 'hx', gridCellId: 'g1', buildingId: 'b1', floor: 3 });
    const ws = await openLive(h.hub.httpUrl, h.token('op'));
    const heard = new Promise<{ change: string; case: { source: string; alertId: string } }>((resolve) => {
      ws.on('message', (raw) => {
        const msg = JSON.parse(String(raw)) as { type: string; change: string; case: { source: string; alertId: string } };
        if (msg.type === 'case' && msg.case.source === 'alert') resolve(msg);
      });
    });
    const alert = h.hub.alerts.signal(h.hub.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
    const c = h.hub.cases.byAlert(alert.id)!;
    expect(c).toMatchObject({ source: 'alert', category: 'fire', alertId: alert.id, communityId: 'hx', gridCellId: 'g1', reportedBy: 'system' });
    expect(c.deadlines.accepted).toBe(h.clock.now + 5 * MIN); // fire runs on the clock
    expect(await heard).toMatchObject({ change: 'created', case: { alertId: alert.id } });
    ws.close();
    // A repeat of the same alarm is the same alert: still one case.
    h.hub.alerts.signal(h.hub.registry.get('s1')!, { type: 'fire_alarm', action: 'event' });
    expect((await get('op', `/api/cases?category=fire`)).body.total).toBe(1);
  });

  it('an operator turns another alert into a case; once', async () => {
    const alert = h.hub.alerts.signal(h.hub.registry.get('s1')!, { type: 'smoke_fault', action: 'event' })!;
    expect(h.hub.cases.byAlert(alert.id)).toBeUndefined();
    expect((await post('zhang', '/api/cases', { title: '烟感故障', category: 'device', description: '', source: 'alert', alertId: alert.id })).status).toBe(403);
    const made = await post('op', '/api/cases', { title: '烟感故障', category: 'device', description: '需更换', source: 'alert', alertId: alert.id });
    expect(made.status).toBe(201);
    expect(made.body.case).toMatchObject({ alertId: alert.id, communityId: 'hx', gridCellId: 'g1', source: 'alert' });
    expect((await post('op', '/api/cases', { title: 'x', category: 'device', description: '', source: 'alert', alertId: alert.id })).status).toBe(409);
    expect((await post('op', '/api/cases', { title: 'x', category: 'device', description: '', source: 'alert', alertId: 'a-nope' })).status).toBe(404);
  });

  it('photos: checked on content and size, EXIF dropped, served within scope', async () => {
    const jpeg = jpegWithExif();
    const made = await post('zhang', '/api/cases', patrol({ photos: [jpeg.toString('base64')] }));
    expect(made.status).toBe(201);
    const photo = made.body.case.photos[0];
    expect(photo).toMatchObject({ type: 'image/jpeg' });
    const res = await h.hub.app.inject({ method: 'GET', url: `/api/cases/${made.body.case.id}/photos/${photo.id}`, headers: { authorization: `Bearer ${h.token('zhang')}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.rawPayload.includes(Buffer.from('GPSLatitude'))).toBe(false);
    expect(res.rawPayload.length).toBe(photo.bytes);
    expect((await get('wang', `/api/cases/${made.body.case.id}/photos/${photo.id}`)).status).toBe(403);
    // A text file named like a photo, and a photo over 1 MiB.
    expect((await post('zhang', '/api/cases', patrol({ photos: [Buffer.from('GIF89a not really').toString('base64')] }))).status).toBe(400);
    const big = Buffer.concat([jpeg, Buffer.alloc(1024 * 1024)]);
    expect((await post('zhang', '/api/cases', patrol({ photos: [big.toString('base64')] }))).status).toBe(413);
  });
});

describe('the residents’ public form', () => {
  let h: CaseHub;
  beforeAll(async () => {
    h = await startCaseHub(T0);
  });
  afterAll(async () => h?.stop());
  const report = (community: string, payload: unknown, remoteAddress = '10.0.0.1') => h.hub.app.inject({ method: 'POST', url: `/api/public/communities/${community}/cases`, payload: payload as object, remoteAddress });

  it('serves the page without a login, with the community’s buildings and its script', async () => {
    const page = await h.hub.app.inject({ method: 'GET', url: '/api/public/report/hx' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('和谐社区');
    expect(page.body).toContain('1号楼');
    expect(page.body).not.toContain('设备故障');
    expect((await h.hub.app.inject({ method: 'GET', url: '/api/public/report.js' })).statusCode).toBe(200);
    expect((await h.hub.app.inject({ method: 'GET', url: '/api/public/report/nope' })).statusCode).toBe(404);
  });

  it('takes a report without an account and answers only with its code', async () => {
    const res = await report('hx', { category: 'environment', description: '垃圾桶满了', buildingId: 'b1', place: '1号楼东侧', contact: '13900000000' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ code: 'HX01-20251104-0001' });
    const list = await h.as('op')({ method: 'GET', url: '/api/cases?communityId=hx' });
    expect(list.body.cases[0]).toMatchObject({ source: 'resident', reportedBy: 'resident', gridCellId: 'g1', contact: '13900000000', placeText: '1号楼东侧', category: 'environment' });
  });

  it('refuses abuse with a clear error, counted by reason', async () => {
    expect((await report('nope', { category: 'hazard', description: 'x' })).statusCode).toBe(404);
    expect((await report('hx', { category: 'hazard', description: 'x', buildingId: 'b9' })).statusCode).toBe(400);
    expect((await report('hx', { category: 'hazard', description: 'x', photos: [Buffer.from('<?php evil ?>').toString('base64')] }, '10.0.0.2')).statusCode).toBe(400);
    expect((await report('hx', { category: 'hazard', description: 'x', photos: ['A'.repeat(1_600_000)] }, '10.0.0.3')).statusCode).toBe(400);
    expect((await report('hx', { category: 'hazard', description: 'x'.repeat(5000) }, '10.0.0.3')).statusCode).toBe(400);
    const huge = await h.hub.app.inject({ method: 'POST', url: '/api/public/communities/hx/cases', payload: JSON.stringify({ category: 'hazard', description: 'x', photos: ['A'.repeat(5 * 1024 * 1024)] }), headers: { 'content-type': 'application/json' }, remoteAddress: '10.0.0.4' });
    expect(huge.statusCode).toBe(413);
    // The community takes 4 an hour from everyone together (the test config): a flood from many addresses stops there.
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await report('hx', { category: 'hazard', description: `flood ${i}` }, `10.1.0.${i}`)).statusCode);
    expect(codes).toEqual([201, 201, 201, 429, 429]);
    // One address gets 5 in ten minutes across communities.
    const mine: number[] = [];
    for (let i = 0; i < 6; i++) mine.push((await report('yq', { category: 'hazard', description: `one ${i}` }, '10.2.0.1')).statusCode);
    expect(mine).toEqual([201, 201, 201, 201, 429, 429]);
    // An hour later the community takes reports again.
    h.clock.now += 61 * MIN;
    expect((await report('hx', { category: 'hazard', description: 'later' }, '10.3.0.1')).statusCode).toBe(201);
    const rejects = await h.as('admin')({ method: 'GET', url: '/api/cases/rejected-reports' });
    expect(rejects.body.byReason).toMatchObject({ unknown_community: 1, bad_input: 3, bad_photo: 1, too_large: 1, community_flood: 3, ip_flood: 1 });
  });
});

describe('the phone’s retries: Idempotency-Key', () => {
  let h: CaseHub;
  beforeAll(async () => {
    h = await startCaseHub(T0);
  });
  afterAll(async () => h?.stop());
  const send = (user: string, url: string, payload: object, key?: string) => h.as(user)({ method: 'POST', url, payload, headers: key ? { 'idempotency-key': key } : {} });

  it('a report sent twice with one key is one case; the repeat gets the first answer', async () => {
    const first = await send('zhang', '/api/cases', patrol(), 'phone-zhang-0001');
    const again = await send('zhang', '/api/cases', patrol(), 'phone-zhang-0001');
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.case.id).toBe(first.body.case.id);
    expect((await h.as('op')({ method: 'GET', url: '/api/cases' })).body.total).toBe(1);
    // Another key, or another person with the same key, is another report.
    expect((await send('zhang', '/api/cases', patrol(), 'phone-zhang-0002')).body.case.id).not.toBe(first.body.case.id);
    expect((await send('li', '/api/cases', patrol(), 'phone-zhang-0001')).body.case.id).not.toBe(first.body.case.id);
    expect((await send('zhang', '/api/cases', patrol(), 'bad key!')).status).toBe(400);
  });

  it('a disposal queued offline and sent twice is done once, not refused the second time', async () => {
    const id = (await send('op', '/api/cases', patrol())).body.case.id as string;
    for (const [a, b] of [['accept', {}], ['register', {}], ['dispatch', { assignee: 'zhang' }]] as const) await send('op', `/api/cases/${id}/${a}`, b);
    const first = await send('zhang', `/api/cases/${id}/dispose`, { note: '已处理' }, 'dispose-k-0001');
    const again = await h.hub.app.inject({ method: 'POST', url: `/api/cases/${id}/dispose`, payload: { note: '已处理' }, headers: { authorization: `Bearer ${h.token('zhang')}`, 'idempotency-key': 'dispose-k-0001' } });
    expect(first.status).toBe(200);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(h.hub.cases.get(id)!.history.filter((e) => e.action === 'dispose')).toHaveLength(1);
    // Without the key the same request is a second disposal of a disposed case: 409.
    expect((await send('zhang', `/api/cases/${id}/dispose`, { note: '已处理' })).status).toBe(409);
  });
});
