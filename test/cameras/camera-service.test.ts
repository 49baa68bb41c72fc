import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cameraLists } from '../../server/src/grid/config-file.ts';
import { CameraService } from '../../server/src/cameras/camera-service.ts';
import { SnapshotStore } from '../../server/src/cameras/snapshot-store.ts';
import { createLogger } from '../../server/src/log.ts';
import { startCameraFleet, type CameraFleet } from '../../simulators/onvif-camera/fleet.ts';
import { alertFixture, type AlertFixture } from '../helpers/alerts.ts';
import { tempDataDir } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import { startBroker, type TestBroker } from '../onvif/helpers.ts';

describe('cameras in the hub: snapshots attached to critical alerts', () => {
  let broker: TestBroker;
  let fleet: CameraFleet;
  let service: CameraService;
  let f: AlertFixture;
  let dir: string;

  beforeAll(async () => {
    broker = await startBroker();
    fleet = await startCameraFleet({ count: 2, username: 'admin', password: 'cam-secret' });
    f = alertFixture();
    dir = path.join(tempDataDir('snapshots'), 'snapshots');
    const [lobby, other] = fleet.cameras;
    service = new CameraService({
      lists: cameraLists({
        onvif: [
        {
          communityId: 'c1',
          cameras: [
            { id: 'cam1', host: '127.0.0.1', port: lobby!.port, username: 'admin', password: 'cam-secret', buildingId: 'b1', gridCellId: 'g1', coverage: ['gate1'], events: false },
            { id: 'cam-b3', host: '127.0.0.1', port: other!.port, username: 'admin', password: 'cam-secret', buildingId: 'b3', gridCellId: 'g2', events: false },
          ],
        },
        ],
      }, {}),
      mqttUrl: broker.url,
      clientIdPrefix: 'test-hub',
      alerts: f.alerts,
      registry: f.registry,
      snapshots: new SnapshotStore(dir),
      log: createLogger('silent'),
      pollIntervalMs: 500,
    });
    await service.start();
    // The bridge reports cameras like any device: wait for their first health reading.
    await waitFor(() => broker.received.some((m) => m.deviceId === 'cam1' && m.channel === 'telemetry') || undefined, { what: 'camera telemetry' });
  });
  afterAll(async () => {
    await service?.stop();
    await fleet?.stop();
    await broker?.close();
  });

  it('a fire alarm in a building gets a snapshot from the camera in that building, stored under DATA_DIR', async () => {
    const alert = f.alerts.signal(f.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
    await waitFor(() => (alert.snapshots?.length ?? 0) >= 1 || undefined, { what: 'snapshot attached', timeoutMs: 20_000 });
    expect(alert.snapshots).toHaveLength(1);
    const snap = alert.snapshots![0]!;
    expect(snap.cameraId).toBe('cam1');
    expect(snap.url).toMatch(new RegExp(`^/api/alerts/${alert.id}/snapshots/`));
    const file = snap.url.split('/').pop()!;
    const jpeg = fs.readFileSync(path.join(dir, file));
    expect(jpeg.subarray(0, 2).toString('hex')).toBe('ffd8'); // a real JPEG
    expect(alert.history.some((h) => h.action === 'snapshot')).toBe(true);
  });

  it('a forced door uses the camera whose coverage lists that gate', async () => {
    const alert = f.alerts.signal(f.registry.get('gate1')!, { type: 'door_forced', action: 'event' })!;
    await waitFor(() => alert.snapshots?.length || undefined, { what: 'snapshot attached', timeoutMs: 20_000 });
    expect(alert.snapshots!.map((s) => s.cameraId)).toEqual(['cam1']);
  });

  it('non-critical alerts take no snapshot', async () => {
    const alert = f.alerts.signal(f.registry.get('s4')!, { type: 'smoke_tamper', action: 'event' })!;
    await new Promise((r) => setTimeout(r, 1500));
    expect(alert.snapshots ?? []).toEqual([]);
  });
});

describe('snapshot store retention', () => {
  it('keeps the newest files within the byte budget and refuses names that are not its own', () => {
    const dir = path.join(tempDataDir('snapret'), 'snapshots');
    let now = 1_000_000;
    const store = new SnapshotStore(dir, { maxBytes: 2500, maxAgeDays: 30 }, () => now);
    const names: string[] = [];
    for (let i = 0; i < 5; i++) {
      now += 1000;
      names.push(store.save(`a-${i}`, 'cam1', Buffer.alloc(1000, i)));
      fs.utimesSync(path.join(dir, names.at(-1)!), now / 1000, now / 1000);
    }
    store.prune();
    const kept = fs.readdirSync(dir).sort();
    expect(kept).toHaveLength(2);
    expect(store.read(names[4]!)?.[0]).toBe(4);
    expect(store.read(names[0]!)).toBeUndefined();
    expect(store.read('../hub.db')).toBeUndefined();
  });
});
