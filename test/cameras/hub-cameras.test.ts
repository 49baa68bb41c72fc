import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '#devices';
import type { Hub } from '../../server/src/hub.ts';
import { startCameraFleet, type CameraFleet } from '../../simulators/onvif-camera/fleet.ts';
import { SAMPLE_CONFIG } from '../helpers/alerts.ts';
import { adminSession, createUser, login, type HubSession } from '../helpers/auth.ts';
import { startHub, tempDataDir } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';

/** The hub with its built-in ONVIF bridge, against simulated cameras. */
describe('ONVIF cameras through the hub', () => {
  let fleet: CameraFleet;
  let hub: Hub;
  let admin: HubSession;
  let device: mqtt.MqttClient;

  beforeAll(async () => {
    fleet = await startCameraFleet({ count: 2, username: 'admin', password: 'cam-pass' });
    const dir = tempDataDir('hubcams');
    const configFile = path.join(dir, 'config.json');
    const [c1, c2] = fleet.cameras;
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        ...SAMPLE_CONFIG,
        onvif: [
          {
            communityId: 'c1',
            pollIntervalS: 2,
            cameras: [
              { id: 'cam1', host: '127.0.0.1', port: c1!.port, username: 'admin', password: 'cam-pass', buildingId: 'b1', gridCellId: 'g1', coverage: ['gate1'] },
              { id: 'cam2', host: '127.0.0.1', port: c2!.port, username: 'admin', password: 'cam-pass', buildingId: 'b3', gridCellId: 'g2' },
            ],
          },
        ],
        devices: [...SAMPLE_CONFIG.devices!, { id: 'cam2', kind: 'camera', communityId: 'c1', gridCellId: 'g2', buildingId: 'b3' }],
      }),
    );
    hub = await startHub({ dataDir: dir, configFile });
    admin = await adminSession(hub.httpUrl);
    device = await mqtt.connectAsync(hub.mqttUrl, { clientId: 'cam-test-devices', ...admin.gateway });
  });
  afterAll(async () => {
    await device?.endAsync();
    await hub?.stop();
    await fleet?.stop();
  });

  it('health readings of each camera land in the store', async () => {
    await waitFor(() => (hub.registry.get('cam1')?.online && hub.registry.get('cam2')?.online) || undefined, { what: 'cameras online', timeoutMs: 30_000 });
    const points = await waitFor(async () => {
      const res = await admin.fetch(`${hub.httpUrl}/api/devices/cam1/telemetry?field=reachable&from=-10m`);
      const body = (await res.json()) as { points: { value: boolean }[] };
      return body.points.length > 0 ? body.points : undefined;
    }, { what: 'camera telemetry stored', timeoutMs: 30_000 });
    expect(points[0]!.value).toBe(true);
  });

  it('a fire alarm in a covered building attaches a snapshot, served only to who may see the alert', async () => {
    await device.publishAsync('community/c1/smoke/s1/event', JSON.stringify({ type: 'alarm' }), { qos: 1 });
    const alert = await waitFor(() => hub.alerts.unresolved().find((a) => a.deviceId === 's1' && (a.snapshots?.length ?? 0) > 0), { what: 'snapshot on the alert', timeoutMs: 30_000 });
    const snap = alert.snapshots![0]!;
    expect(snap.cameraId).toBe('cam1');
    const res = await admin.fetch(`${hub.httpUrl}${snap.url}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await res.arrayBuffer()).subarray(0, 2).toString('hex')).toBe('ffd8');
    expect((await fetch(`${hub.httpUrl}${snap.url}`)).status).toBe(401);
    await createUser(hub.httpUrl, admin.token, { username: 'li', password: 'worker-password-1', role: 'worker', cells: ['g2'] });
    const other = await login(hub.httpUrl, { username: 'li', password: 'worker-password-1' });
    const denied = await fetch(`${hub.httpUrl}${snap.url}`, { headers: { authorization: `Bearer ${other}` } });
    expect([403, 404]).toContain(denied.status);
    const viaApi = (await (await admin.fetch(`${hub.httpUrl}/api/alerts/${alert.id}`)).json()) as { alert: Alert };
    expect(viaApi.alert.history.some((h) => h.action === 'snapshot')).toBe(true);
  });

  it('tamper on a camera raises camera_tamper', async () => {
    fleet.cameras[1]!.raiseTamper();
    const alert = await waitFor(() => hub.alerts.unresolved().find((a) => a.deviceId === 'cam2' && a.type === 'camera_tamper'), { what: 'tamper alert', timeoutMs: 30_000 });
    expect(alert).toMatchObject({ severity: 'major', gridCellId: 'g2' });
  });

  it('an unreachable camera raises an alert that clears when it returns', async () => {
    fleet.cameras[1]!.setReachable(false);
    const alert = await waitFor(
      () => hub.alerts.unresolved().find((a) => a.deviceId === 'cam2' && (a.type === 'device_offline' || a.type === 'camera_unreachable') && a.clearedAt === null),
      { what: 'offline alert', timeoutMs: 60_000 },
    );
    expect(alert.severity).toBe('major');
    fleet.cameras[1]!.setReachable(true);
    await waitFor(() => hub.alerts.get(alert.id)?.clearedAt || undefined, { what: 'offline alert cleared', timeoutMs: 90_000 });
  });
});
