import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../server/src/hub.ts';
import { startHub, tempDataDir } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import { SimGbDevice } from '../../simulators/gb28181/index.ts';
import { DOMAIN, PLATFORM_ID, REALM_PASSWORD } from './fixtures.ts';

/** The district's platform: a second hub whose GB/T 28181 side takes the community hub as a lower platform. */
const DISTRICT_ID = '34010000002000000001';
const DISTRICT_DOMAIN = '3401000000';
const CASCADE_PASSWORD = 'cascade-pass-1';

async function hubWith(name: string, config: Record<string, unknown>): Promise<Hub> {
  const dataDir = tempDataDir(name);
  const configFile = path.join(dataDir, 'config.yaml');
  fs.writeFileSync(configFile, stringify(config));
  return startHub({ dataDir, configFile });
}

describe('GB/T 28181 cascade (级联): the hub as a lower platform of the district', () => {
  let district: Hub;
  let community: Hub;
  let ipc: SimGbDevice;

  beforeAll(async () => {
    district = await hubWith('gb-district', {
      communities: [{ id: 'd1', name: { zh: '街道中心', en: 'Sub-district' }, cells: [{ id: 'dg1', buildings: [{ id: 'db1' }] }] }],
      gb28181: {
        sipId: DISTRICT_ID,
        domain: DISTRICT_DOMAIN,
        host: '127.0.0.1',
        port: 0,
        communityId: 'd1',
        gridCellId: 'dg1',
        devices: [{ id: PLATFORM_ID, password: CASCADE_PASSWORD, buildingId: 'db1', name: '阳光社区平台' }],
      },
    });
    community = await hubWith('gb-community', {
      communities: [{ id: 'c1', cells: [{ id: 'g1', buildings: [{ id: 'b1' }] }] }],
      gb28181: {
        sipId: PLATFORM_ID,
        domain: DOMAIN,
        host: '127.0.0.1',
        port: 0,
        password: REALM_PASSWORD,
        communityId: 'c1',
        gridCellId: 'g1',
        buildingId: 'b1',
        upstream: { sipId: DISTRICT_ID, domain: DISTRICT_DOMAIN, host: '127.0.0.1', port: district.gb28181!.port, password: CASCADE_PASSWORD, keepaliveIntervalS: 1, expiresS: 3600 },
      },
    });
    ipc = new SimGbDevice({ id: '34020000001320000001', password: REALM_PASSWORD, channels: 2, platform: { sipId: PLATFORM_ID, domain: DOMAIN, host: '127.0.0.1', port: community.gb28181!.port } });
    await ipc.start();
  });
  afterAll(async () => {
    await ipc?.stop();
    await community?.stop();
    await district?.stop();
  });

  it('registers to the higher platform with Digest and keeps alive there', async () => {
    await waitFor(() => community.gb28181!.upstream!.registered || undefined, { what: 'registered upstream' });
    const seen = await waitFor(() => district.registry.get(PLATFORM_ID)?.online && district.registry.get(PLATFORM_ID), { what: 'community platform online at the district' });
    expect(seen).toMatchObject({ communityId: 'd1', gridCellId: 'dg1', buildingId: 'db1', name: '阳光社区平台' });
    const first = district.gb28181!.platform.devices.get(PLATFORM_ID)!.lastSeenAt;
    await waitFor(() => district.gb28181!.platform.devices.get(PLATFORM_ID)!.lastSeenAt > first || undefined, { what: 'keepalive from the community hub' });
  });

  it('answers the district\'s catalog query with its cameras, and forwards camera alarms upward', async () => {
    expect(await ipc.register()).toBe(200);
    await waitFor(() => ipc.channelIds.every((id) => community.registry.get(id)?.online) || undefined, { what: 'IPC channels at the community hub' });
    const channels = await district.gb28181!.platform.queryCatalog(PLATFORM_ID);
    expect(channels.map((c) => c.id).sort()).toEqual([...ipc.channelIds].sort());
    expect(district.registry.get(ipc.channelIds[1]!)).toMatchObject({ kind: 'camera', communityId: 'd1', gridCellId: 'dg1', buildingId: 'db1' });
    expect(await ipc.raiseAlarm({ alarm: 'video_loss', channel: 1, description: '北门视频丢失' })).toBe(200);
    const here = await waitFor(() => community.alerts.unresolved().find((a) => a.deviceId === ipc.channelIds[1] && a.type === 'video_loss'), { what: 'alert at the community hub' });
    expect(here.gridCellId).toBe('g1');
    const there = await waitFor(() => district.alerts.unresolved().find((a) => a.deviceId === ipc.channelIds[1] && a.type === 'video_loss'), { what: 'alert at the district' });
    expect(there).toMatchObject({ severity: 'major', communityId: 'd1', gridCellId: 'dg1' });
    expect(community.gb28181!.upstream!.forwarded).toBe(1);
  });

  it('a wrong cascade password is refused by the higher platform', async () => {
    expect(district.rejects.counts.get('gb_auth_failed') ?? 0).toBe(0);
    const impostor = new SimGbDevice({ id: PLATFORM_ID, password: 'not-it', platform: { sipId: DISTRICT_ID, domain: DISTRICT_DOMAIN, host: '127.0.0.1', port: district.gb28181!.port } });
    await impostor.start();
    try {
      expect(await impostor.register()).toBe(403);
    } finally {
      await impostor.stop();
    }
    expect(district.rejects.counts.get('gb_auth_failed')).toBe(1);
  });
});
