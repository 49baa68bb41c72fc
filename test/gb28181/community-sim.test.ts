import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../server/src/hub.ts';
import { adminSession, createGateway } from '../helpers/auth.ts';
import { startHub, tempDataDir } from '../helpers/hub.ts';
import { DOMAIN, PLATFORM_ID, REALM_PASSWORD } from './fixtures.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

describe('the community simulator with --gb28181', () => {
  let hub: Hub;
  beforeAll(async () => {
    const dataDir = tempDataDir('gb-community-sim');
    const configFile = path.join(dataDir, 'config.yaml');
    fs.writeFileSync(configFile, stringify({ gb28181: { sipId: PLATFORM_ID, domain: DOMAIN, host: '127.0.0.1', port: 0, password: REALM_PASSWORD, communityId: 'gbc1' } }));
    hub = await startHub({ dataDir, configFile });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it('runs NVRs against the hub next to its MQTT devices, and they register, give their catalog and raise alarms', async () => {
    const admin = await adminSession(hub.httpUrl);
    const login = await createGateway(hub.httpUrl, admin.token, 'sim-gateway');
    const child = spawn(
      process.execPath,
      [
        '--import', 'tsx', 'simulators/community/cli.ts', '--mqtt', hub.mqttUrl, '--username', login.username, '--password', login.password,
        '--households', '20', '--cells', '1', '--buildings', '1', '--no-routine', '--duration', '6', '--quiet',
        '--gb28181', `127.0.0.1:${hub.gb28181!.port}`, '--gb28181-password', REALM_PASSWORD, '--gb28181-channels', '4', '--gb28181-alarm-every', '1',
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', () => {});
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, err).toBe(0);
    const nvr = hub.registry.get('34020000001180000001');
    expect(nvr).toMatchObject({ kind: 'camera', communityId: 'gbc1' });
    expect([...hub.registry.all()].filter((d) => d.id.startsWith('3402000000131')).length).toBe(4);
    expect([...hub.gb28181!.alarms.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(3);
  });
});
