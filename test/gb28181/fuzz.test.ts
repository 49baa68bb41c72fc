import dgram from 'node:dgram';
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GbPlatform } from '../../server/src/gb28181/platform.ts';
import type { GbRejectReason } from '../../server/src/gb28181/rejects.ts';
import { parseMessage, SipParseError } from '../../server/src/gb28181/sip/message.ts';
import { StreamFramer } from '../../server/src/gb28181/sip/framer.ts';
import { parseManscdp, XmlBodyError } from '../../server/src/gb28181/xml.ts';
import { createLogger } from '../../server/src/log.ts';
import { SimGbDevice } from '../../simulators/gb28181/index.ts';
import { DOMAIN, PLATFORM_ID, platformConfig, REALM_PASSWORD } from './fixtures.ts';

const DEVICE = '34020000001320000001';
const alarmBody = `<?xml version="1.0" encoding="GB2312"?>\n<Notify>\n<CmdType>Alarm</CmdType>\n<SN>1</SN>\n<DeviceID>${DEVICE}</DeviceID>\n<AlarmPriority>1</AlarmPriority>\n<AlarmMethod>2</AlarmMethod>\n<AlarmTime>2026-12-03T10:00:00</AlarmTime>\n<Info><AlarmType>1</AlarmType></Info>\n</Notify>\n`;
const valid = (body = alarmBody) =>
  Buffer.from(
    [
      `MESSAGE sip:${PLATFORM_ID}@${DOMAIN} SIP/2.0`,
      'Via: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bKfuzz',
      `From: <sip:${DEVICE}@${DOMAIN}>;tag=f1`,
      `To: <sip:${PLATFORM_ID}@${DOMAIN}>`,
      'Call-ID: fuzz@127.0.0.1',
      'CSeq: 1 MESSAGE',
      'Content-Type: Application/MANSCDP+xml',
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );

/** A valid message with bytes flipped, cut, repeated or inserted. */
const mutated = fc
  .tuple(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.option(fc.nat()), fc.option(fc.uint8Array({ maxLength: 64 })), fc.nat())
  .map(([flips, cut, insert, at]) => {
    let b = Buffer.from(valid());
    for (const [i, v] of flips) b[i % b.length] = v;
    if (cut !== null) b = b.subarray(0, cut % (b.length + 1));
    if (insert !== null) {
      const p = at % (b.length + 1);
      b = Buffer.concat([b.subarray(0, p), Buffer.from(insert), b.subarray(p)]);
    }
    return b;
  });

describe('malformed GB/T 28181 input never throws past the parsers nor crashes the platform', () => {
  it('the SIP parser, the TCP framer and the XML reader only ever throw their own errors', () => {
    fc.assert(
      fc.property(mutated, (bytes) => {
        try {
          const m = parseMessage(bytes);
          try {
            parseManscdp(m.body);
          } catch (err) {
            if (!(err instanceof XmlBodyError)) throw err;
          }
        } catch (err) {
          if (!(err instanceof SipParseError)) throw err;
        }
        try {
          new StreamFramer().push(bytes);
        } catch (err) {
          if (!(err instanceof SipParseError)) throw err;
        }
      }),
      { numRuns: 3000, seed: 28181 },
    );
  });

  describe('over the wire', () => {
    let platform: GbPlatform;
    let device: SimGbDevice;
    const rejects: GbRejectReason[] = [];
    let alarms = 0;
    beforeAll(async () => {
      platform = new GbPlatform({ config: platformConfig(), log: createLogger('silent'), events: { reject: (r) => rejects.push(r), alarm: () => alarms++ } });
      await platform.start();
      device = new SimGbDevice({ id: DEVICE, password: REALM_PASSWORD, platform: { sipId: PLATFORM_ID, domain: DOMAIN, host: '127.0.0.1', port: platform.port } });
      await device.start();
      expect(await device.register()).toBe(200);
    });
    afterAll(async () => {
      await device.stop();
      await platform.stop();
    });

    it('a thousand mutated datagrams and TCP streams leave it serving, each one that does not parse counted', async () => {
      const udp = dgram.createSocket('udp4');
      const samples = fc.sample(mutated, { numRuns: 1000, seed: 7 });
      const unparsable = samples.filter((b) => {
        if (b.length <= 4 && b.toString('latin1').trim() === '') return false; // a keep-alive ping
        try {
          parseMessage(b);
          return false;
        } catch {
          return true;
        }
      }).length;
      const malformed = () => rejects.filter((r) => r === 'gb_sip_malformed').length;
      for (let i = 0; i < samples.length; i += 20) {
        for (const b of samples.slice(i, i + 20)) udp.send(b, platform.port, '127.0.0.1');
        await new Promise((r) => setTimeout(r, 5)); // paced: loopback drops a burst past its buffer
      }
      await new Promise((r) => setTimeout(r, 300));
      udp.close();
      expect(unparsable).toBeGreaterThan(100);
      expect(malformed()).toBe(unparsable);
      for (const b of samples.slice(0, 100)) {
        const s = net.connect(platform.port, '127.0.0.1');
        s.on('error', () => {});
        s.end(b);
      }
      await new Promise((r) => setTimeout(r, 500));
      expect(malformed()).toBeGreaterThan(unparsable);
      expect(await device.keepalive()).toBe(200);
      expect(await device.raiseAlarm({ alarm: 'video_loss' })).toBe(200);
      expect(alarms).toBeGreaterThanOrEqual(1);
    });
  });
});
