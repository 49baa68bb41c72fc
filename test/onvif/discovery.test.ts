import { execFile, execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { OnvifBridge, idFromUrn, probeDirected } from '../../devices/src/onvif/index.ts';
import { startCameraFleet, type CameraFleet } from '../../simulators/onvif-camera/index.ts';
import { waitFor } from './helpers.ts';

/** Multicast needs its own network namespace: on the host it would leave through the real interface. */
function canUnshareNet(): boolean {
  try {
    execFileSync('unshare', ['-n', 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('camera discovery', () => {
  const fleets: CameraFleet[] = [];
  const bridges: OnvifBridge[] = [];
  afterAll(async () => {
    await Promise.all(bridges.map((b) => b.stop()));
    await Promise.all(fleets.map((f) => f.stop()));
  });

  it('directed (unicast) WS-Discovery finds N simulated cameras and the bridge adopts the new ones', async () => {
    const fleet = await startCameraFleet({ count: 3, username: 'admin', password: 'pw', discovery: { mode: 'unicast' } });
    fleets.push(fleet);
    const targets = fleet.cameras.map((c) => c.discoveryAddress!);
    const found = await probeDirected(targets, 1000);
    expect(found.map((f) => f.urn).sort()).toEqual(fleet.cameras.map((c) => c.urn).sort());
    expect(found.find((f) => f.urn === fleet.cameras[0]!.urn)).toMatchObject({ xaddrs: [fleet.cameras[0]!.xaddr], name: 'SimCam-1', hardware: 'SIM-IPC-1080' });

    // cam-static is already in the list (same address): discovery must not add it a second time.
    const telemetry = new Map<string, boolean>();
    const bridge = new OnvifBridge({
      communityId: 'c1',
      cameras: [{ id: 'cam-static', xaddr: fleet.cameras[0]!.xaddr, username: 'admin', password: 'pw' }],
      discovery: { targets, waitMs: 1000, adopt: true, username: 'admin', password: 'pw', intervalS: 3600 },
      pollIntervalMs: 500,
      staggerStart: false,
    });
    bridges.push(bridge);
    bridge.on('telemetry', (id, p) => void telemetry.set(id, p.reachable));
    await bridge.start();
    const ids = [fleet.cameras[1]!, fleet.cameras[2]!].map((c) => idFromUrn(c.urn));
    await waitFor(() => ['cam-static', ...ids].every((id) => telemetry.get(id) === true), 'telemetry from all three cameras');
    expect(bridge.listCameras().map((c) => c.id).sort()).toEqual(['cam-static', ...ids].sort());
  });

  it.skipIf(!canUnshareNet())('multicast WS-Discovery through node-onvif finds N cameras (in a private network namespace)', async () => {
    const count = 3;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        'unshare',
        ['-n', process.execPath, '--import', 'tsx', 'test/onvif/fixtures/netns-discovery.ts', String(count)],
        { cwd: process.cwd(), timeout: 90_000, killSignal: 'SIGKILL' },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    const result = JSON.parse(out.trim().split('\n').at(-1)!) as {
      expected: { urn: string; xaddr: string }[];
      found: { urn: string; xaddrs: string[] }[];
      reachable: Record<string, { reachable: boolean; fps: number }>;
    };
    expect(result.found.map((f) => f.urn).sort()).toEqual(result.expected.map((e) => e.urn).sort());
    for (const e of result.expected) {
      expect(result.found.find((f) => f.urn === e.urn)!.xaddrs).toEqual([e.xaddr]);
      expect(result.reachable[idFromUrn(e.urn)]).toMatchObject({ reachable: true, fps: 25 });
    }
  });
});
