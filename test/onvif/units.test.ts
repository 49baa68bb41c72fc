import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { CameraConfigError, camerasCovering, mapNotification, parseCameraList, parseProbeMatches } from '../../devices/src/onvif/index.ts';
import { classifyError } from '../../devices/src/onvif/errors.ts';
import { passwordDigest, startCameraFleet } from '../../simulators/onvif-camera/index.ts';
import { checkUsernameToken } from '../../simulators/onvif-camera/wsse.ts';
import { parseXml } from '../../simulators/onvif-camera/xml.ts';

const note = (topic: string, data: Record<string, unknown>, op = 'Changed') => ({
  topic: { _: topic },
  message: { message: { $: { PropertyOperation: op, UtcTime: new Date(0) }, data: { simpleItem: Object.entries(data).map(([Name, Value]) => ({ $: { Name, Value } })) } } },
});

describe('ONVIF event mapping', () => {
  it('maps vendor topics to contract event types', () => {
    expect(mapNotification(note('tns1:RuleEngine/CellMotionDetector/Motion', { IsMotion: true }))?.type).toBe('motion');
    expect(mapNotification(note('tns1:VideoSource/MotionAlarm', { State: 'true' }))?.type).toBe('motion');
    expect(mapNotification(note('tns1:VideoSource/GlobalSceneChange/ImagingService', { State: true }))?.type).toBe('tamper');
    expect(mapNotification(note('tns1:RuleEngine/TamperDetector/Tamper', { IsTamper: 'true' }))?.type).toBe('tamper');
    expect(mapNotification(note('tns1:VideoSource/SignalLoss', { State: true }))?.type).toBe('video_loss');
    expect(mapNotification(note('tns1:VideoSource/SignalLoss', { State: false }))?.type).toBe('video_restored');
    expect(mapNotification(note('tns1:RuleEngine/LineDetector/Crossed', { ObjectId: 3 }))?.type).toBe('line_crossing');
  });
  it('ignores ends of conditions and the initial all-clear state', () => {
    expect(mapNotification(note('tns1:RuleEngine/CellMotionDetector/Motion', { IsMotion: false }))).toBeUndefined();
    expect(mapNotification(note('tns1:VideoSource/SignalLoss', { State: false }, 'Initialized'))).toBeUndefined();
    expect(mapNotification(note('tns1:VideoSource/SignalLoss', { State: true }, 'Initialized'))?.type).toBe('video_loss');
    expect(mapNotification(note('tns1:Device/Trigger/DigitalInput', { LogicalState: true }))).toBeUndefined();
    expect(mapNotification({})).toBeUndefined();
  });
});

describe('camera list', () => {
  it('applies defaults, reads passwords from the environment and rejects bad entries with their position', () => {
    const list = parseCameraList(
      { communityId: 'c1', defaults: { username: 'admin', passwordEnv: 'CAM_PW' }, cameras: [{ id: 'cam-1', host: '127.0.0.1', port: 8080, coverage: ['smoke-1'] }] },
      { CAM_PW: 'pw' },
    );
    expect(list.cameras[0]).toMatchObject({ id: 'cam-1', username: 'admin', password: 'pw', coverage: ['smoke-1'] });
    expect(() => parseCameraList({ cameras: [{ id: 'bad id', host: 'x' }] })).toThrow(/cameras\[0\].*"id"/);
    expect(() => parseCameraList({ cameras: [{ id: 'a' }] })).toThrow(CameraConfigError);
    expect(() => parseCameraList({ cameras: [{ id: 'a', host: 'h', pasword: 'typo' }] })).toThrow(/unknown key "pasword"/);
    expect(() => parseCameraList({ cameras: [{ id: 'a', host: 'h', passwordEnv: 'NOPE' }] }, {})).toThrow(/NOPE is not set/);
  });
  it('orders coverage: device, else building, else cell', () => {
    const cams = [
      { id: 'a', coverage: ['smoke-1'], buildingId: 'b1', gridCellId: 'g1' },
      { id: 'b', buildingId: 'b2', gridCellId: 'g1' },
      { id: 'c', coverage: ['b3'], gridCellId: 'g2' },
    ];
    expect(camerasCovering(cams, { deviceId: 'smoke-1', buildingId: 'b2' }).map((c) => c.id)).toEqual(['a']);
    expect(camerasCovering(cams, { deviceId: 'x', buildingId: 'b2' }).map((c) => c.id)).toEqual(['b']);
    expect(camerasCovering(cams, { deviceId: 'x', buildingId: 'b3' }).map((c) => c.id)).toEqual(['c']);
    expect(camerasCovering(cams, { deviceId: 'x', buildingId: 'b9', gridCellId: 'g1' }).map((c) => c.id)).toEqual(['a', 'b']);
  });
});

describe('errors and discovery parsing', () => {
  it('classifies the texts of node-onvif, onvif and Node', () => {
    expect(classifyError(new Error('Failed to initialize the device: Error: 400 Bad Request - Sender not Authorized')).kind).toBe('unauthorized');
    expect(classifyError(new Error('Failed to initialize the device: Error: Network Error: socket hang up')).kind).toBe('unreachable');
    expect(classifyError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })).kind).toBe('unreachable');
    expect(classifyError(new Error('The device seems to not support the GetProfiles() method.')).kind).toBe('protocol');
  });
  it('reads ProbeMatches whatever the namespace prefixes', () => {
    const xml =
      '<e:Envelope><e:Body><dn:ProbeMatches><dn:ProbeMatch><w:EndpointReference><w:Address>urn:uuid:1</w:Address></w:EndpointReference>' +
      '<dn:Scopes>onvif://www.onvif.org/name/Gate_North onvif://www.onvif.org/hardware/X1</dn:Scopes>' +
      '<dn:XAddrs>http://127.0.0.1:81/onvif/device_service http://[::1]:81/onvif/device_service</dn:XAddrs></dn:ProbeMatch></dn:ProbeMatches></e:Body></e:Envelope>';
    expect(parseProbeMatches(xml)).toEqual([
      expect.objectContaining({ urn: 'urn:uuid:1', name: 'Gate North', hardware: 'X1', xaddrs: ['http://127.0.0.1:81/onvif/device_service', 'http://[::1]:81/onvif/device_service'] }),
    ]);
  });
});

describe('simulated camera', () => {
  it('checks WS-Security UsernameToken digests: SHA1(nonce + created + password)', () => {
    const nonce = randomBytes(16);
    const created = new Date().toISOString();
    const env = (digest: string, user = 'admin') =>
      parseXml(
        `<s:Envelope xmlns:s="x"><s:Header><Security><UsernameToken><Username>${user}</Username>` +
          `<Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">${digest}</Password>` +
          `<Nonce>${nonce.toString('base64')}</Nonce><Created>${created}</Created></UsernameToken></Security></s:Header><s:Body/></s:Envelope>`,
      );
    expect(checkUsernameToken(env(passwordDigest(nonce, created, 'pw')), 'admin', 'pw')).toBe('ok');
    expect(checkUsernameToken(env(passwordDigest(nonce, created, 'other')), 'admin', 'pw')).toBe('bad_password');
    expect(checkUsernameToken(env(passwordDigest(nonce, created, 'pw'), 'root'), 'admin', 'pw')).toBe('bad_user');
    expect(checkUsernameToken(parseXml('<Envelope><Body/></Envelope>'), 'admin', 'pw')).toBe('missing');
  });

  it('starts N cameras on consecutive ports', async () => {
    const base = await freeRange(3);
    const fleet = await startCameraFleet({ count: 3, basePort: base });
    try {
      expect(fleet.cameras.map((c) => c.port)).toEqual([base, base + 1, base + 2]);
    } finally {
      await fleet.stop();
    }
  });
});

/** A base port whose next `n` ports are free right now. */
async function freeRange(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const servers: net.Server[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const s = net.createServer();
        await new Promise<void>((resolve, reject) => s.once('error', reject).listen(base + i, '127.0.0.1', resolve));
        servers.push(s);
      }
      return base;
    } catch {
      // taken; try another range
    } finally {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    }
  }
  throw new Error('no free port range');
}
