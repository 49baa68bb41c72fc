import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import WebSocket from 'ws';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '#devices';
import type { Hub } from '../../server/src/hub.ts';
import { startHub, tempDataDir } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import { adminSession, type HubSession } from '../helpers/auth.ts';
import { SimGbDevice } from '../../simulators/gb28181/index.ts';
import os from 'node:os';
import { DOMAIN, keepaliveFile, PLATFORM_ID, REALM_PASSWORD, sipsak } from './fixtures.ts';

const NVR = '34020000001180000001';
const NVR_PASSWORD = 'nvr-pass-1';

export const GB_HUB_CONFIG = {
  communities: [
    {
      id: 'c1',
      name: { zh: '阳光社区', en: 'Sunshine' },
      cells: [
        { id: 'g1', buildings: [{ id: 'b1' }] },
        { id: 'g2', buildings: [{ id: 'b2' }] },
      ],
    },
  ],
  gb28181: {
    sipId: PLATFORM_ID,
    domain: DOMAIN,
    host: '127.0.0.1',
    port: 0,
    password: REALM_PASSWORD,
    keepaliveIntervalS: 1,
    catalogRefreshS: 0,
    communityId: 'c1',
    gridCellId: 'g2',
    buildingId: 'b2',
    devices: [{ id: NVR, password: NVR_PASSWORD, gridCellId: 'g1', buildingId: 'b1', name: '东门录像机', guard: true }],
  },
};

describe('GB/T 28181 cameras in the hub', () => {
  let hub: Hub;
  let s: HubSession;
  let ws: WebSocket;
  let nvr: SimGbDevice;
  const sims: SimGbDevice[] = [];
  const wsMessages: { type: string; alert?: Alert }[] = [];

  const sim = async (id: string, password: string, channels: number, extra: Partial<ConstructorParameters<typeof SimGbDevice>[0]> = {}) => {
    const d = new SimGbDevice({ id, password, channels, catalogBatch: 10, platform: { sipId: PLATFORM_ID, domain: DOMAIN, host: '127.0.0.1', port: hub.gb28181!.port }, ...extra });
    await d.start();
    sims.push(d);
    return d;
  };

  beforeAll(async () => {
    const dataDir = tempDataDir('gb28181');
    const configFile = path.join(dataDir, 'community.yaml');
    fs.writeFileSync(configFile, stringify(GB_HUB_CONFIG));
    hub = await startHub({ dataDir, configFile });
    s = await adminSession(hub.httpUrl);
    ws = new WebSocket(`${hub.httpUrl.replace('http', 'ws')}/ws`, { headers: { authorization: `Bearer ${s.token}` } });
    ws.on('message', (d) => wsMessages.push(JSON.parse(d.toString())));
    await new Promise((r) => ws.once('open', r));
    nvr = await sim(NVR, NVR_PASSWORD, 64, { channelNames: (i) => `东门${i + 1}号` });
  });
  afterAll(async () => {
    ws?.close();
    await Promise.all(sims.map((d) => d.stop()));
    await hub?.stop();
  });

  it('refuses a wrong password and counts it, then registers the NVR', async () => {
    nvr.wrongPassword = 'guess';
    expect(await nvr.register()).toBe(403);
    expect(hub.rejects.counts.get('gb_auth_failed')).toBe(1);
    nvr.wrongPassword = undefined;
    expect(await nvr.register()).toBe(200);
    nvr.startKeepalive(1);
    const device = await waitFor(() => hub.registry.get(NVR)?.online && hub.registry.get(NVR), { what: 'NVR online in the registry' });
    expect(device).toMatchObject({ kind: 'camera', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1', name: '东门录像机' });
  });

  it('takes the catalog of 64 channels, sent in batches counted by SumNum, as cameras in the configured place', async () => {
    const cameras = await waitFor(() => {
      const cams = nvr.channelIds.map((id) => hub.registry.get(id));
      return cams.every((c) => c?.online) ? cams : undefined;
    }, { what: '64 channel cameras online' });
    expect(cameras).toHaveLength(64);
    expect(cameras[5]).toMatchObject({ kind: 'camera', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1', name: '东门6号', provisioned: true });
    expect(nvr.catalogQueries).toBe(1);
    expect(nvr.subscribed).toBe(true);
    await waitFor(() => nvr.guard === 'SetGuard', { what: 'SetGuard sent (guard: true)' });
  });

  it('an alarm NOTIFY in GB2312 reaches the WebSocket as an alert with its severity and place', async () => {
    expect(await nvr.raiseAlarm({ alarm: 'video_loss', channel: 5, priority: 1, description: '东门6号视频丢失', longitude: 116.39, latitude: 39.91 })).toBe(200);
    const alert = await waitFor(() => wsMessages.find((m) => m.type === 'alert' && m.alert?.deviceId === nvr.channelIds[5])?.alert, { what: 'alert on the WebSocket' });
    expect(alert).toMatchObject({ type: 'video_loss', severity: 'major', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1', state: 'open' });
    expect(await nvr.raiseAlarm({ alarm: 'tamper', channel: 7, as: 'MESSAGE' })).toBe(200);
    const tamper = await waitFor(() => hub.alerts.unresolved().find((a) => a.deviceId === nvr.channelIds[7] && a.type === 'camera_tamper'), { what: 'tamper alert' });
    expect(tamper.severity).toBe('major');
    expect(hub.gb28181!.alarms.get('video_loss')).toBe(1);
  });

  it('keepalive loss raises the device-offline alert, and the next keepalive clears it', async () => {
    nvr.silent = true;
    const offline = await waitFor(() => hub.alerts.unresolved().find((a) => a.deviceId === NVR && a.type === 'device_offline' && a.clearedAt === null), { what: 'offline alert', timeoutMs: 15_000 });
    expect(offline).toMatchObject({ severity: 'major', gridCellId: 'g1', buildingId: 'b1' });
    expect(hub.registry.get(nvr.channelIds[0]!)?.online).toBe(false);
    nvr.silent = false;
    await waitFor(() => hub.alerts.get(offline.id)?.clearedAt || undefined, { what: 'offline alert cleared', timeoutMs: 15_000 });
    expect(hub.registry.get(NVR)?.online).toBe(true);
    await waitFor(() => hub.registry.get(nvr.channelIds[0]!)?.online, { what: 'channels back online' });
  });

  it('refuses and counts malformed XML and SIP, and keeps serving', async () => {
    expect(await nvr.sendMalformedXml()).toBe(400);
    nvr.sendRaw(Buffer.from('NOT SIP AT ALL\r\n\r\n'));
    const gbk = iconv.encode('<?xml version="1.0" encoding="UTF-8"?><Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>东门</DeviceID></Notify>', 'gb2312');
    nvr.sendRaw(gbk);
    await waitFor(() => (hub.rejects.counts.get('gb_sip_malformed') ?? 0) >= 2 || undefined, { what: 'garbage SIP counted' });
    expect(hub.rejects.counts.get('gb_xml_malformed')).toBe(1);
    const res = await s.fetch(`${hub.httpUrl}/api/ingest/rejected?limit=50`);
    expect(res.status).toBe(200);
    const listed = (await res.json()) as { byReason: Record<string, number>; recent: { reason: string; topic: string }[] };
    expect(listed.byReason.gb_xml_malformed).toBe(1);
    expect(listed.recent.find((r) => r.reason === 'gb_xml_malformed')?.topic).toMatch(/^gb28181\/udp\/127\.0\.0\.1:/);
    expect(await nvr.keepalive()).toBe(200);
  });

  it('Debian sipsak registers to the hub and keeps alive: the camera is online in the registry', async () => {
    const id = '34020000001320000077';
    const port = hub.gb28181!.port;
    const reg = await sipsak(['-i', '-U', '-C', `sip:${id}@127.0.0.1:5999`, '-x', '3600', '-s', `sip:${id}@127.0.0.1:${port}`, '-u', id, '-a', REALM_PASSWORD]);
    expect(reg.code, reg.out).toBe(0);
    const cam = await waitFor(() => hub.registry.get(id)?.online && hub.registry.get(id), { what: 'sipsak device online' });
    expect(cam).toMatchObject({ kind: 'camera', communityId: 'c1', gridCellId: 'g2' });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gb-hub-sipsak-')), 'keepalive.sip');
    fs.writeFileSync(file, keepaliveFile(id, 3));
    const before = hub.registry.get(id)!.lastSeenAt!;
    await new Promise((r) => setTimeout(r, 20));
    const ka = await sipsak(['-f', file, '-s', `sip:${PLATFORM_ID}@127.0.0.1:${port}`]);
    expect(ka.code, ka.out).toBe(0);
    await waitFor(() => (hub.registry.get(id)!.lastSeenAt ?? 0) > before || undefined, { what: 'keepalive seen' });
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('an IPC with the realm password lands in the section\'s default place', async () => {
    const ipc = await sim('34020000001320000010', REALM_PASSWORD, 1, { charset: 'UTF-8' });
    expect(await ipc.register()).toBe(200);
    const cam = await waitFor(() => hub.registry.get(ipc.channelIds[0]!), { what: 'IPC channel camera' });
    expect(cam).toMatchObject({ gridCellId: 'g2', buildingId: 'b2' });
    // Its catalog grows: the next registration (a refresh) asks again (catalogRefreshS: 0).
    const grown = await sim(ipc.id, REALM_PASSWORD, 2, { charset: 'UTF-8' });
    expect(await grown.register()).toBe(200);
    await waitFor(() => hub.registry.get(grown.channelIds[1]!), { what: 'the new channel' });
    expect(grown.catalogQueries).toBe(1);
    // Not named in the config: named by its DeviceInfo answer.
    await waitFor(() => hub.registry.get(ipc.id)?.name === '模拟设备0010' || undefined, { what: 'IPC named from DeviceInfo' });
  });
});
