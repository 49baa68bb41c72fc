// The plan's camera pictures (issue 16, item 6): an alerting device near a camera shows, in one
// click on the plan, the snapshot the hub attached to its alert, or else the nearby camera's live
// picture, in Debian's chromium against a real hub with simulated ONVIF cameras. Also the live
// snapshot route's scope rules, and the pure choice of picture.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Hub } from '../../server/src/hub.ts';
import { startCameraFleet, type CameraFleet } from '../../simulators/onvif-camera/fleet.ts';
import { cameraPlaces, planCamera } from '../../dashboard/src/lib/plan-camera.ts';
import { authedFetch, createUser, login, type HubSession } from '../helpers/auth.ts';
import { configuredHub, keepShot, type ConfiguredHub } from './configured-hub.ts';
import { artifactPath, hasChromium, launchChromium, waitFor } from './browser.ts';
import { ensureDashboardBuilt } from './build.ts';
import { alert, device } from './fixtures.ts';
import { openLoggedIn } from './login-page.ts';

describe('which camera picture the plan offers', () => {
  const cam = device({ id: 'cam1', kind: 'camera', buildingId: 'b3', gridCellId: 'g1', name: { zh: '3号楼门口', en: 'Building 3 gate' } });
  const places = cameraPlaces([cam, device({ id: 'x', kind: 'smoke' })]);
  const smoke = device({ id: 'd1', kind: 'smoke', buildingId: 'b3', gridCellId: 'g1' });
  it('the alert snapshot first (newest first, camera named), with the live picture as well', () => {
    const a = alert({ id: 'a1', snapshots: [{ url: '/api/alerts/a1/snapshots/old.jpg', cameraId: 'cam1', takenAt: 1 }, { url: '/api/alerts/a1/snapshots/new.jpg', cameraId: 'cam1', takenAt: 2 }] });
    const c = planCamera(smoke, [a], places)!;
    expect(c.shots.map((s) => s.url)).toEqual(['/api/alerts/a1/snapshots/new.jpg', '/api/alerts/a1/snapshots/old.jpg']);
    expect(c.shots[0]!.cameraName).toEqual(cam.name);
    expect(c.live).toBe('/api/devices/d1/camera-snapshot');
  });
  it('a live picture only when a camera is in the building (or its cell); nothing for a resolved alert', () => {
    expect(planCamera(smoke, [alert({ id: 'a2' })], places)).toMatchObject({ shots: [], live: '/api/devices/d1/camera-snapshot' });
    const far = device({ id: 'd2', kind: 'smoke', buildingId: 'b9', gridCellId: 'g9' });
    expect(planCamera(far, [alert({ id: 'a3', deviceId: 'd2' })], places)).toBeNull();
    expect(planCamera(smoke, [alert({ id: 'a4', state: 'resolved', resolvedAt: 5 })], places)).toBeNull();
    expect(planCamera(smoke, [alert({ id: 'a5', snapshots: [{ url: 'javascript:alert(1)', cameraId: 'cam1', takenAt: 1 }] })], places)!.shots).toEqual([]);
  });
});

const OPERATOR = { username: 'op', password: `op-${randomBytes(8).toString('hex')}` };
const OUTSIDER = { username: 'op2', password: `op-${randomBytes(8).toString('hex')}` };

describe.skipIf(!hasChromium)('camera pictures one click from the plan (real hub, ONVIF simulator)', () => {
  let fleet: CameraFleet;
  let fixture: ConfiguredHub;
  let hub: Hub;
  let session: HubSession;
  let browser: Browser;
  interface ApiAlert { id: string; deviceId: string; type: string; snapshots?: { url: string }[] }
  const alertOf = (deviceId: string, type: string, withShot = false) =>
    waitFor(async () => {
      const r = await session.fetch(`${hub.httpUrl}/api/alerts?state=unresolved&limit=100`);
      return ((await r.json()) as { alerts: ApiAlert[] }).alerts.find((a) => a.deviceId === deviceId && a.type === type && (!withShot || (a.snapshots?.length ?? 0) > 0));
    }, 30_000, `${type} of ${deviceId}`);

  beforeAll(async () => {
    await ensureDashboardBuilt();
    fleet = await startCameraFleet({ count: 1, username: 'admin', password: 'cam-pass' });
    const room = (id: string, name: string, floor: number, buildingId = 'c1-b03') => ({ id, kind: 'smoke', communityId: 'c1', gridCellId: 'c1-g1', buildingId, floor, name });
    fixture = await configuredHub('plan-camera', {
      communities: [
        {
          id: 'c1',
          name: { zh: '幸福里社区', en: 'Xingfuli Community' },
          cells: [{ id: 'c1-g1', name: { zh: '第一网格', en: 'Cell 1' }, buildings: [{ id: 'c1-b03', name: { zh: '3号楼', en: 'Building 3' }, floors: 18 }, { id: 'c1-b05', name: { zh: '5号楼', en: 'Building 5' }, floors: 11 }] }],
        },
        { id: 'c2', name: { zh: '和平社区', en: 'Heping Community' }, cells: [{ id: 'c2-g1', name: { zh: '第一网格', en: 'Cell 1' }, buildings: [{ id: 'c2-b1', name: { zh: '1号楼', en: 'Building 1' } }] }] },
      ],
      onvif: [
        {
          communityId: 'c1',
          pollIntervalS: 2,
          cameras: [{ id: 'cam-b03', host: '127.0.0.1', port: fleet.cameras[0]!.port, username: 'admin', password: 'cam-pass', buildingId: 'c1-b03', gridCellId: 'c1-g1' }],
        },
      ],
      devices: [
        { id: 'cam-b03', kind: 'camera', communityId: 'c1', gridCellId: 'c1-g1', buildingId: 'c1-b03', name: { zh: '3号楼门口摄像头', en: 'Building 3 gate camera' } },
        room('f1', '1604 厨房烟感', 16),
        room('t1', '0301 楼道烟感', 3),
        { id: 'h1', kind: 'smoke', communityId: 'c2', gridCellId: 'c2-g1', buildingId: 'c2-b1', floor: 1, name: '101 烟感' },
      ],
    });
    ({ hub, session } = fixture);
    await createUser(hub.httpUrl, session.token, { ...OPERATOR, role: 'operator', communities: ['c1'] });
    await createUser(hub.httpUrl, session.token, { ...OUTSIDER, role: 'operator', communities: ['c2'] });
    await waitFor(() => hub.registry.get('cam-b03')?.online, 30_000, 'camera online');
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await fixture?.stop();
    await fleet?.stop();
  }, 60_000);

  it('GET /api/devices/{id}/camera-snapshot: a JPEG from the covering camera, for who may see the device only', async () => {
    const res = await session.fetch(`${hub.httpUrl}/api/devices/t1/camera-snapshot`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('x-camera-id')).toBe('cam-b03');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(Buffer.from(await res.arrayBuffer()).subarray(0, 2).toString('hex')).toBe('ffd8');
    expect((await fetch(`${hub.httpUrl}/api/devices/t1/camera-snapshot`)).status).toBe(401);
    const outsider = authedFetch(await login(hub.httpUrl, OUTSIDER));
    expect((await outsider(`${hub.httpUrl}/api/devices/t1/camera-snapshot`)).status).toBe(403);
    const none = await session.fetch(`${hub.httpUrl}/api/devices/h1/camera-snapshot`);
    expect(none.status).toBe(404);
    expect(((await none.json()) as { error: string }).error).toBe('NO_CAMERA');
  });

  async function openPlan(locale: 'zh-CN' | 'en'): Promise<Page> {
    const p = await openLoggedIn(browser, hub.httpUrl + '/', OPERATOR, { locale });
    await p.waitForSelector('[data-testid=plan-svg]');
    return p;
  }
  const naturalWidth = (p: Page, sel: string) => p.$eval(sel, (img) => (img as HTMLImageElement).complete ? (img as HTMLImageElement).naturalWidth : 0);

  it('a critical alert: one click on the camera badge shows the snapshot attached to the alert (zh)', async () => {
    await fixture.publish('c1', 'f1', 'event', { type: 'alarm' });
    const fire = await alertOf('f1', 'fire_alarm', true);
    const p = await openPlan('zh-CN');
    const badge = p.locator('[data-testid=plan-camera][data-device-id=f1]');
    await badge.waitFor();
    expect(await badge.getAttribute('aria-label')).toBe('1604 厨房烟感：查看摄像头画面');
    await badge.click();
    const panel = p.locator('[data-testid=plan-camera-panel][data-device-id=f1]');
    await panel.waitFor();
    const shot = panel.locator('[data-testid=plan-camera-shot] img');
    expect(await shot.getAttribute('src')).toBe(fire.snapshots![0]!.url);
    await waitFor(() => naturalWidth(p, '[data-testid=plan-camera-shot] img'), 15_000, 'snapshot image loaded');
    expect(await panel.textContent()).toContain('3号楼门口摄像头');
    expect(await panel.textContent()).toContain('告警抓拍');
    // the live picture is one more click, not asked for on its own
    expect(await panel.locator('[data-testid=plan-camera-live]').count()).toBe(0);
    await panel.locator('[data-testid=plan-camera-show-live]').click();
    await waitFor(async () => (await panel.locator('[data-testid=plan-camera-live]').getAttribute('data-state')) === 'ok', 15_000, 'live picture');
    const file = artifactPath('plan-camera-snapshot-zh.png');
    await p.screenshot({ path: file });
    keepShot(file);
    await panel.locator('[data-testid=plan-camera-close]').click();
    expect(await panel.count()).toBe(0);
    await p.context().close();
  });

  it('an alert without a snapshot: one click shows the live picture of the building\'s camera (en), also from the floor list', async () => {
    await fixture.publish('c1', 't1', 'event', { type: 'tamper' });
    const tamper = await alertOf('t1', 'smoke_tamper');
    expect(tamper.snapshots ?? []).toEqual([]);
    const p = await openPlan('en');
    const badge = p.locator('[data-testid=plan-camera][data-device-id=t1]');
    await badge.click();
    const panel = p.locator('[data-testid=plan-camera-panel][data-device-id=t1]');
    await waitFor(async () => (await panel.locator('[data-testid=plan-camera-live]').getAttribute('data-state')) === 'ok', 15_000, 'live picture loaded');
    expect(await panel.locator('[data-testid=plan-camera-shot]').count()).toBe(0);
    expect(await naturalWidth(p, '[data-testid=plan-camera-live] img')).toBeGreaterThan(0);
    expect(await panel.textContent()).toContain('Live picture (nearby camera)');
    const file = artifactPath('plan-camera-live-en.png');
    await p.screenshot({ path: file });
    keepShot(file);
    await panel.locator('[data-testid=plan-camera-close]').click();
    // the building's floor list offers the same picture beside the device
    // (by keyboard: a click at the building's middle may land on one of its markers)
    await p.locator('[data-testid=plan-building][data-building-id=c1-b03]').focus();
    await p.keyboard.press('Enter');
    // floor rows read as labels in English ("Floor 3"), however the shared text is written
    expect(await p.$eval('[data-testid=floor-row][data-floor="3"] .fl', (e) => getComputedStyle(e, '::first-letter').textTransform)).toBe('uppercase');
    await p.locator('[data-testid=floor-camera][data-device-id=t1]').click();
    await panel.waitFor();
    const floors = artifactPath('plan-camera-floors-en.png');
    await p.screenshot({ path: floors });
    keepShot(floors);
    await p.context().close();
  });
});
