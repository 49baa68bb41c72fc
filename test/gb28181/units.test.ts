import { describe, expect, it } from 'vitest';
import { cameraEventOf, formatGbTime, parseAlarm, parseGbTime } from '../../server/src/gb28181/alarms.ts';
import { GbConfigError, resolveGbConfig } from '../../server/src/gb28181/config.ts';
import { authorize, DigestAuthority, digestResponse, parseDigest } from '../../server/src/gb28181/digest.ts';
import { buildManscdp, parseManscdp } from '../../server/src/gb28181/xml.ts';

describe('alarm bodies', () => {
  it('maps AlarmMethod and AlarmType to camera events', () => {
    expect(cameraEventOf({ method: 2, type: 1 })).toBe('video_loss');
    expect(cameraEventOf({ method: 2, type: 2 })).toBe('tamper');
    expect(cameraEventOf({ method: 5, type: 2 })).toBe('motion');
    expect(cameraEventOf({ method: 5, type: 6 })).toBe('motion');
    expect(cameraEventOf({ method: 5, type: 5 })).toBe('line_crossing');
    expect(cameraEventOf({ method: 5, type: 11 })).toBe('tamper');
    expect(cameraEventOf({ method: 2, type: 3 })).toBeUndefined(); // disk full
    expect(cameraEventOf({ method: 1, type: undefined })).toBeUndefined();
  });
  it('reads priority, method, type (in Info or not), time, description and position', () => {
    const t = Date.now() - 60_000;
    const body = buildManscdp('Notify', [
      ['CmdType', 'Alarm'], ['SN', 3], ['DeviceID', '34020000001310000001'], ['AlarmPriority', 2], ['AlarmMethod', 5],
      ['AlarmTime', formatGbTime(t).slice(0, 19)], ['AlarmDescription', '越线'], ['Longitude', '116.397'], ['Latitude', '39.908'], ['Info', [['AlarmType', 5]]],
    ]);
    const a = parseAlarm(parseManscdp(body));
    expect(a).toMatchObject({ sourceId: '34020000001310000001', priority: 2, method: 5, type: 5, description: '越线', longitude: 116.397, latitude: 39.908 });
    expect(Math.abs(a.time! - t)).toBeLessThan(1000);
    const noInfo = parseAlarm(parseManscdp(buildManscdp('Notify', [['CmdType', 'Alarm'], ['SN', 1], ['DeviceID', '1'], ['AlarmPriority', 1], ['AlarmMethod', 2], ['AlarmType', 1]])));
    expect(noInfo.type).toBe(1);
  });
  it('refuses a priority or method out of range and a bad time', () => {
    const alarm = (f: [string, string | number][]) => () => parseAlarm(parseManscdp(buildManscdp('Notify', [['CmdType', 'Alarm'], ['SN', 1], ['DeviceID', '1'], ...f])));
    expect(alarm([['AlarmPriority', 9], ['AlarmMethod', 2]])).toThrow(/AlarmPriority/);
    expect(alarm([['AlarmPriority', 1], ['AlarmMethod', 'x']])).toThrow(/AlarmMethod/);
    expect(alarm([['AlarmPriority', 1], ['AlarmMethod', 2], ['AlarmTime', '2026-02-30T10:00:00']])).toThrow(/AlarmTime/);
    expect(parseGbTime('2026-12-03T10:15:00.5')).toBe(new Date(2026, 11, 3, 10, 15, 0, 500).getTime());
  });
});

describe('Digest', () => {
  it('checks RFC 2617 qop=auth and RFC 2069 answers, tells stale and forged nonces apart', () => {
    let now = 1_000_000;
    const auth = new DigestAuthority('3402000000', () => now);
    const challenge = auth.challenge();
    const header = authorize(challenge, 'REGISTER', 'sip:34020000002000000001@3402000000', '34020000001320000001', 'pw')!;
    const creds = parseDigest(header)!;
    expect(creds).toMatchObject({ username: '34020000001320000001', realm: '3402000000', qop: 'auth', nc: '00000001' });
    expect(auth.check('REGISTER', creds, 'pw')).toBe('ok');
    expect(auth.check('REGISTER', creds, 'other')).toBe('wrong');
    const legacy = { ...creds, qop: undefined, nc: undefined, cnonce: undefined };
    delete legacy.qop;
    expect(auth.check('REGISTER', { ...legacy, response: digestResponse('REGISTER', legacy, 'pw') }, 'pw')).toBe('ok');
    expect(auth.check('REGISTER', { ...creds, nonce: `${creds.nonce.split('.')[0]}.${'0'.repeat(32)}` }, 'pw')).toBe('bad_nonce');
    expect(auth.check('REGISTER', { ...creds, realm: 'elsewhere' }, 'pw')).toBe('bad_params');
    now += 6 * 60_000;
    expect(auth.check('REGISTER', creds, 'pw')).toBe('stale');
    // RFC 2617 §3.5 example: the known answer
    expect(
      digestResponse('GET', { username: 'Mufasa', realm: 'testrealm@host.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', uri: '/dir/index.html', qop: 'auth', nc: '00000001', cnonce: '0a4f113b' }, 'Circle Of Life'),
    ).toBe('6629fae49393a05397450978507c4ef1');
  });
});

describe('gb28181 config section', () => {
  const base = { sipId: '34020000002000000001', domain: '3402000000', communityId: 'c1' };
  it('fills in the 2016 defaults and resolves passwords from the environment', () => {
    const c = resolveGbConfig({ ...base, passwordEnv: 'GB_PW', devices: [{ id: '34020000001320000001', password: 'x', gridCellId: 'g1' }], upstream: { sipId: '34010000002000000001', domain: '3401000000', host: '10.0.0.1', port: 5060 } }, { GB_PW: 'secret' });
    expect(c).toMatchObject({ port: 5060, realm: '3402000000', password: 'secret', keepaliveIntervalS: 60, keepaliveMissed: 3, charset: 'GB2312' });
    expect(c.devices.get('34020000001320000001')).toMatchObject({ communityId: 'c1', gridCellId: 'g1', password: 'x', guard: false });
    expect(c.upstream).toMatchObject({ transport: 'udp', expiresS: 3600, keepaliveIntervalS: 60 });
  });
  it('refuses a missing environment variable, duplicates and the hub\'s own id', () => {
    expect(() => resolveGbConfig({ ...base, passwordEnv: 'NOPE' }, {})).toThrow(GbConfigError);
    expect(() => resolveGbConfig({ ...base, devices: [{ id: '34020000001320000001' }, { id: '34020000001320000001' }] }, {})).toThrow(/twice/);
    expect(() => resolveGbConfig({ ...base, devices: [{ id: base.sipId }] }, {})).toThrow(/own id/);
  });
});
