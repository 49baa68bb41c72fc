import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GbPlatform } from '../../server/src/gb28181/platform.ts';
import type { GbRejectReason } from '../../server/src/gb28181/rejects.ts';
import { createLogger } from '../../server/src/log.ts';
import { startGbFleet } from '../../simulators/gb28181/index.ts';
import { waitFor } from '../helpers/ports.ts';
import { DOMAIN, PLATFORM_ID, platformConfig, REALM_PASSWORD } from './fixtures.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

describe('the simulated GB/T 28181 devices', () => {
  let platform: GbPlatform;
  const rejects: GbRejectReason[] = [];
  const alarms: string[] = [];
  const offline: string[] = [];

  beforeAll(async () => {
    platform = new GbPlatform({
      config: platformConfig({ keepaliveIntervalS: 1 }),
      log: createLogger('silent'),
      events: {
        registered: (d) => void platform.queryCatalog(d.id).catch(() => {}),
        reject: (r) => rejects.push(r),
        alarm: (_d, a) => alarms.push(`${a.method}/${a.type}`),
        offline: (d) => offline.push(d.id),
      },
    });
    await platform.start();
  });
  afterAll(async () => {
    await platform.stop();
  });

  it('the CLI registers its devices, answers the catalog, raises alarms; its first device misbehaves with a wrong password', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'simulators/gb28181/cli.ts', '--platform', `127.0.0.1:${platform.port}`, '--password', REALM_PASSWORD, '--devices', '2', '--channels', '3', '--keepalive', '1', '--alarm-every', '1', '--misbehave', 'wrong-password', '--duration', '4'],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', () => {});
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(JSON.parse(out.trim().split('\n').pop()!)).toMatchObject({ devices: 2, registered: 1 });
    expect(rejects).toContain('gb_auth_failed');
    expect(alarms.length).toBeGreaterThanOrEqual(1);
    expect(platform.devices.size).toBe(0); // unregistered on stop
  });

  it('a fleet whose first device skips keepalives loses it after three intervals, and answers the catalog in batches', async () => {
    const fleet = await startGbFleet({ platform: { sipId: PLATFORM_ID, domain: DOMAIN, host: '127.0.0.1', port: platform.port }, password: REALM_PASSWORD, devices: 2, channels: 25, keepaliveIntervalS: 1, misbehave: 'missed-keepalives', firstSerial: 50 });
    try {
      expect(fleet.registered).toBe(2);
      const [quiet, loud] = fleet.devices;
      await waitFor(() => platform.devices.get(loud!.id)?.channels.size === 25 || undefined, { what: 'catalog of 25 channels' });
      await waitFor(() => offline.includes(quiet!.id) || undefined, { what: 'silent device offline', timeoutMs: 10_000 });
      expect(platform.devices.get(loud!.id)?.online).toBe(true);
    } finally {
      await fleet.stop();
    }
  });
});
