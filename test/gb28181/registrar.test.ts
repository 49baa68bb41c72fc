import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GbPlatform, type GbDevice, type OfflineCause } from '../../server/src/gb28181/platform.ts';
import type { GbRejectReason } from '../../server/src/gb28181/rejects.ts';
import { createLogger } from '../../server/src/log.ts';
import { SimGbDevice } from '../../simulators/gb28181/index.ts';
import { DOMAIN, keepaliveFile, PLATFORM_ID, platformConfig, REALM_PASSWORD, sipsak } from './fixtures.ts';
import { ManualScheduler } from './manual-scheduler.ts';

const OWN_ID = '34020000001320000001';
const OWN_PASSWORD = 'own-pass-1';

describe('GB/T 28181 registrar and keepalive', () => {
  const clock = new ManualScheduler();
  let platform: GbPlatform;
  const log: string[] = [];
  const rejects: GbRejectReason[] = [];
  const offline: [string, OfflineCause][] = [];
  const registered: [string, boolean][] = [];
  const sims: SimGbDevice[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-sipsak-'));

  beforeAll(async () => {
    platform = new GbPlatform({
      config: platformConfig({ keepaliveIntervalS: 1 }, [{ id: OWN_ID, password: OWN_PASSWORD, communityId: 'c1', guard: false }]),
      log: createLogger('silent'),
      scheduler: clock,
      events: {
        registered: (d, refresh) => registered.push([d.id, refresh]),
        offline: (d, cause) => offline.push([d.id, cause]),
        online: (d) => log.push(`online ${d.id}`),
        keepalive: (d) => log.push(`keepalive ${d.id}`),
        reject: (reason) => rejects.push(reason),
      },
    });
    await platform.start();
  });
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.stop()));
  });
  afterAll(async () => {
    await platform.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const sim = async (id: string, password: string, transport: 'udp' | 'tcp' = 'udp') => {
    const s = new SimGbDevice({ id, password, transport, platform: { sipId: PLATFORM_ID, domain: DOMAIN, host: '127.0.0.1', port: platform.port } });
    await s.start();
    sims.push(s);
    return s;
  };
  const dev = (id: string): GbDevice | undefined => platform.devices.get(id);

  it('registers a device with its own password, refuses a wrong one and counts it', async () => {
    const good = await sim(OWN_ID, OWN_PASSWORD);
    expect(await good.register()).toBe(200);
    expect(dev(OWN_ID)?.online).toBe(true);
    const bad = await sim(OWN_ID, OWN_PASSWORD);
    bad.wrongPassword = REALM_PASSWORD; // the realm password is not this device's
    const before = rejects.filter((r) => r === 'gb_auth_failed').length;
    expect(await bad.register()).toBe(403);
    expect(rejects.filter((r) => r === 'gb_auth_failed').length).toBe(before + 1);
    expect(registered).toContainEqual([OWN_ID, false]);
  });

  it('registers other devices with the realm password, over UDP and TCP', async () => {
    const udp = await sim('34020000001320000002', REALM_PASSWORD);
    expect(await udp.register()).toBe(200);
    const tcp = await sim('34020000001320000003', REALM_PASSWORD, 'tcp');
    expect(await tcp.register()).toBe(200);
    expect(dev('34020000001320000003')?.peer.transport).toBe('tcp');
    expect(await tcp.keepalive()).toBe(200);
  });

  it('guard control and DeviceInfo get the device\'s Response', async () => {
    const s = await sim('34020000001320000008', REALM_PASSWORD);
    expect(await s.register()).toBe(200);
    expect(await platform.setGuard(s.id, true)).toBe('OK');
    expect(s.guard).toBe('SetGuard');
    expect(await platform.setGuard(s.id, false)).toBe('OK');
    expect(s.guard).toBe('ResetGuard');
    expect(await platform.queryDeviceInfo(s.id)).toEqual({ name: '模拟设备0008', manufacturer: 'Simulated', model: 'SIM-NVR' });
    await expect(platform.setGuard('34020000001320000999', true)).rejects.toThrow(/not registered/);
  });

  it('re-registration refreshes, Expires: 0 unregisters, a too-brief Expires gets 423', async () => {
    const s = await sim('34020000001320000004', REALM_PASSWORD);
    expect(await s.register(3600)).toBe(200);
    expect(await s.register(3600)).toBe(200);
    expect(registered.filter(([id]) => id === s.id)).toEqual([[s.id, false], [s.id, true]]);
    expect(await s.register(10)).toBe(423);
    expect(await s.unregister()).toBe(200);
    expect(dev(s.id)).toBeUndefined();
    expect(offline).toContainEqual([s.id, 'unregistered']);
  });

  it('a device is offline after three missed keepalive intervals and back with the next keepalive', async () => {
    const s = await sim('34020000001320000005', REALM_PASSWORD);
    expect(await s.register()).toBe(200);
    expect(await s.keepalive()).toBe(200);
    clock.advance(2900);
    expect(dev(s.id)?.online).toBe(true);
    clock.advance(1200); // 4.1 s after the keepalive: past 3 × 1 s
    expect(dev(s.id)?.online).toBe(false);
    expect(offline).toContainEqual([s.id, 'keepalive']);
    expect(await s.keepalive()).toBe(200);
    expect(dev(s.id)?.online).toBe(true);
  });

  it('a registration that is not refreshed expires', async () => {
    const s = await sim('34020000001320000006', REALM_PASSWORD);
    expect(await s.register(60)).toBe(200);
    for (let t = 0; t < 61; t++) {
      clock.advance(1000);
      if (t % 2 === 0) await s.keepalive();
    }
    expect(dev(s.id)).toBeUndefined();
    expect(offline).toContainEqual([s.id, 'expired']);
  });

  it('refuses and counts keepalives of unregistered devices, malformed XML and garbage SIP', async () => {
    const s = await sim('34020000001320000007', REALM_PASSWORD);
    const count = (r: GbRejectReason) => rejects.filter((x) => x === r).length;
    const [nr, xml, sip] = [count('gb_not_registered'), count('gb_xml_malformed'), count('gb_sip_malformed')];
    expect(await s.keepalive()).toBe(403);
    expect(await s.register()).toBe(200);
    expect(await s.sendMalformedXml()).toBe(400);
    s.sendRaw(Buffer.from('INVITE me\r\n\r\n'));
    s.sendRaw(Buffer.alloc(65_000, 0x41));
    await new Promise((r) => setTimeout(r, 100));
    expect([count('gb_not_registered'), count('gb_xml_malformed'), count('gb_sip_malformed')]).toEqual([nr + 1, xml + 1, sip + 2]);
    expect(await s.keepalive()).toBe(200); // still served
  });

  it('Debian sipsak registers (Digest, qop=auth) and sends a keepalive; a wrong password fails', async () => {
    const id = '34020000001320000099';
    const target = `sip:${id}@127.0.0.1:${platform.port}`;
    const reg = await sipsak(['-i', '-U', '-C', `sip:${id}@127.0.0.1:5999`, '-x', '3600', '-s', target, '-u', id, '-a', REALM_PASSWORD]);
    expect(reg.code).toBe(0);
    expect(dev(id)?.online).toBe(true);
    const file = path.join(tmp, 'keepalive.sip');
    fs.writeFileSync(file, keepaliveFile(id, 7));
    const seen = log.length;
    const ka = await sipsak(['-f', file, '-s', `sip:${PLATFORM_ID}@127.0.0.1:${platform.port}`]);
    expect(ka.code).toBe(0);
    expect(log.slice(seen)).toContain(`keepalive ${id}`);
    const wrong = await sipsak(['-i', '-U', '-C', `sip:${id}@127.0.0.1:5999`, '-x', '3600', '-s', target, '-u', id, '-a', 'not-the-password']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.out).toContain('403');
    expect(rejects).toContain('gb_auth_failed');
  });
});
