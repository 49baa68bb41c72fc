import { describe, expect, it } from 'vitest';
import { decodeAppData, mapRecord, type PlatformMapping } from '../../server/src/ingest/adapters/mapping.ts';
import { decrypt, rawMember, signatureMatches } from '../../server/src/ingest/adapters/onenet.ts';
import { newEncodingAesKey, onenetEncrypt, onenetSignature } from './platform-clients.ts';

describe('platform field mapping', () => {
  const map: PlatformMapping = {
    telemetry: { door: { from: 'door_state', values: { '0': 'closed', '1': 'open' } }, battery_pct: 'bat', lel_pct: { from: 'c', scale: 0.1 } },
    events: [{ type: 'door_forced', when: { alarm: 3, messageType: 'eventReport' } }],
  };

  it('maps, looks up and scales fields; events need every condition; text and numbers compare alike', () => {
    expect(mapRecord(map, { door_state: 1, bat: 80, c: '253', other: 1 }, { ts: 5, seq: 9 })).toEqual({ ok: true, value: { telemetry: { ts: 5, seq: 9, door: 'open', battery_pct: 80, lel_pct: 25.3 }, events: [] } });
    expect(mapRecord(map, { alarm: '3', messageType: 'eventReport' }, { ts: 5 })).toEqual({ ok: true, value: { events: [{ ts: 5, type: 'door_forced' }] } });
    expect(mapRecord(map, { alarm: 3 }, {}).ok).toBe(false);
  });

  it('refuses a value with no lookup entry and a record with nothing mapped', () => {
    expect(mapRecord(map, { door_state: 7 }, {})).toMatchObject({ ok: false, message: expect.stringContaining('door_state') });
    expect(mapRecord(map, { firmware: 'v1' }, {})).toMatchObject({ ok: false, message: expect.stringContaining('firmware') });
  });

  it('decodes binary and JSON APPdata, and says why it cannot', () => {
    const spec = { format: 'binary' as const, fields: [{ name: 'a', offset: 0, type: 'uint8' as const }, { name: 'b', offset: 1, type: 'int16be' as const }, { name: 'f', offset: 3, type: 'float32le' as const }] };
    const bytes = Buffer.alloc(7);
    bytes.writeUInt8(200, 0);
    bytes.writeInt16BE(-5, 1);
    bytes.writeFloatLE(1.5, 3);
    expect(decodeAppData(spec, bytes.toString('base64'))).toEqual({ a: 200, b: -5, f: 1.5 });
    expect(decodeAppData(spec, Buffer.alloc(2).toString('base64'))).toMatch(/needs 3/);
    expect(decodeAppData(spec, 'not base64!')).toBe('APPdata is not base64');
    expect(decodeAppData({ format: 'json' }, Buffer.from('{"x":1}').toString('base64'))).toEqual({ x: 1 });
    expect(decodeAppData({ format: 'json' }, Buffer.from('[1]').toString('base64'))).toMatch(/not an object/);
  });
});

describe('OneNET signature and secure mode', () => {
  it('takes a member JSON text as it stands, strings with braces and escapes included', () => {
    const text = '{ "nonce" : "a}b\\"c", "msg" : {"v": "x}]\\"", "n": [1, {"a": 2}]} , "msg_signature": "s"}';
    expect(rawMember(text, 'msg')).toBe('{"v": "x}]\\"", "n": [1, {"a": 2}]}');
    expect(rawMember(text, 'nonce')).toBe('"a}b\\"c"');
    expect(rawMember(text, 'none')).toBeUndefined();
    expect(rawMember('[1]', 'msg')).toBeUndefined();
  });

  it('verifies base64(md5(token + nonce + msg)) and decrypts what the platform encrypts', () => {
    expect(signatureMatches('tok', 'n0nce', 'hello', onenetSignature('tok', 'n0nce', 'hello'))).toBe(true);
    expect(signatureMatches('tok', 'n0nce', 'hello!', onenetSignature('tok', 'n0nce', 'hello'))).toBe(false);
    const key = newEncodingAesKey();
    const msg = JSON.stringify({ type: 1, dev_id: 1, ds_id: '温度', at: 1, value: 'é' });
    expect(decrypt(key, onenetEncrypt(key, msg, 16))).toBe(msg);
    expect(decrypt(key, onenetEncrypt(key, msg, 32))).toBe(msg);
    expect(decrypt(newEncodingAesKey(), onenetEncrypt(key, msg))).toBeUndefined();
    expect(decrypt(key, 'AAAA')).toBeUndefined();
  });
});
