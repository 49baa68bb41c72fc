// Photo retention (cases.photoRetentionDays) on a real hub with an injected clock: a finished case's
// photos go once older than the retention, an open case's stay; what is left is served within scope only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASE_CONFIG, startCaseHub, type CaseHub } from './case-hub.ts';

const T0 = Date.UTC(2026, 0, 5, 2, 0);
const DAY = 86_400_000;
// A JPEG with an EXIF (APP1) segment holding a made-up GPS tag.
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.from([0xff, 0xe1, 0x00, 0x0c]), Buffer.from('Exif\0\0GPS!'), Buffer.from([0xff, 0xda, 0x00, 0x02, 0x11, 0x22, 0xff, 0xd9])]);

describe('case photo retention', () => {
  let h: CaseHub;
  beforeAll(async () => {
    h = await startCaseHub(T0, { ...CASE_CONFIG, cases: { ...CASE_CONFIG.cases, photoRetentionDays: 30 } });
  });
  afterAll(async () => h?.stop());
  const post = (user: string, url: string, payload: object = {}) => h.as(user)({ method: 'POST', url, payload });
  const photoStatus = async (user: string, id: string, photoId: string) =>
    (await h.hub.app.inject({ method: 'GET', url: `/api/cases/${id}/photos/${photoId}`, headers: { authorization: `Bearer ${h.token(user)}` } })).statusCode;

  it('deletes a finished case’s photos after the retention, keeps an open case’s', async () => {
    const report = async () => (await post('zhang', '/api/cases', { title: 't', category: 'hazard', communityId: 'hx', gridCellId: 'g1', description: '', source: 'patrol', photos: [JPEG.toString('base64')] })).body.case as { id: string; photos: { id: string }[] };
    const done = await report();
    const open = await report();
    for (const [a, b] of [['accept', {}], ['register', {}], ['dispatch', { assignee: 'zhang' }], ['dispose', { note: 'n' }], ['verify', { passed: true }], ['close', {}]] as const) expect((await post('op', `/api/cases/${done.id}/${a}`, b)).status).toBe(200);
    const served = await h.hub.app.inject({ method: 'GET', url: `/api/cases/${done.id}/photos/${done.photos[0]!.id}`, headers: { authorization: `Bearer ${h.token('zhang')}` } });
    expect(served.statusCode).toBe(200);
    expect(served.rawPayload.includes(Buffer.from('GPS!'))).toBe(false);
    // Outside the case's cell: refused.
    expect(await photoStatus('wang', done.id, done.photos[0]!.id)).toBe(403);

    h.clock.now = T0 + 29 * DAY;
    h.hub.casePhotos!.tick();
    expect(await photoStatus('zhang', done.id, done.photos[0]!.id)).toBe(200);
    h.clock.now = T0 + 31 * DAY;
    h.hub.casePhotos!.tick();
    expect(await photoStatus('zhang', done.id, done.photos[0]!.id)).toBe(404);
    expect(h.hub.cases.get(done.id)!.photos).toEqual([]);
    expect(await photoStatus('zhang', open.id, open.photos[0]!.id)).toBe(200);
    expect(h.hub.cases.get(open.id)!.photos).toHaveLength(1);
  });
});
