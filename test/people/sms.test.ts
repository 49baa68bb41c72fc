// SMS and voice through the official Aliyun SDK against a local endpoint that verifies the
// ACS3-HMAC-SHA256 signature (test/helpers/fake-providers/aliyun.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveProviders, type SmsConfig, type VoiceConfig } from '../../server/src/notify/people/provider-config.ts';
import { AliyunSms, AliyunVoice } from '../../server/src/notify/people/sms/aliyun.ts';
import { dialable } from '../../server/src/notify/people/sms/provider.ts';
import { SmsTransport, VoiceTransport } from '../../server/src/notify/people/sms/transport.ts';
import { smsText } from '../../server/src/notify/people/message-text.ts';
import { FakeAliyun } from '../helpers/fake-providers/aliyun.ts';
import { personMessage, worker } from './messages.ts';

let fake: FakeAliyun;
let sms: SmsConfig;
let voice: VoiceConfig;

beforeEach(async () => {
  fake = new FakeAliyun({
    accessKeyId: 'LTAI5tTEST',
    accessKeySecret: 'kS3cret/with+chars=',
    signNames: ['社区安全'],
    smsTemplates: { SMS_4711: '${place} ${alert}，请确认：${link}' },
    ttsTemplates: { TTS_815: '社区安全紧急告警：${place}，${alert}。请立即处理并在短信或企业微信中确认。' },
    calledShowNumbers: ['057100000000'],
  });
  await fake.start();
  const common = { provider: 'aliyun' as const, accessKeyId: 'LTAI5tTEST', accessKeySecret: 'kS3cret/with+chars=', endpoint: fake.endpoint, protocol: 'http' as const };
  const p = resolveProviders({ sms: { ...common, signName: '社区安全', templateCode: 'SMS_4711' }, voice: { ...common, calledShowNumber: '057100000000', ttsCode: 'TTS_815' } });
  sms = p.sms!;
  voice = p.voice!;
});
afterEach(async () => {
  await fake.close();
});

describe('SMS over Aliyun SendSms', () => {
  it('sends the short text with the acknowledgement link, signed as Aliyun checks it', async () => {
    const t = new SmsTransport(new AliyunSms(sms));
    const m = personMessage({ place: { zh: '3号楼2单元', en: 'Building 3 unit 2' } });
    const r = await t.send(m);
    expect(fake.refused).toEqual([]);
    expect(r).toMatchObject({ ok: true, status: 200 });
    expect(fake.delivered).toHaveLength(1);
    expect(fake.delivered[0]).toMatchObject({ action: 'SendSms', phone: '13800138000', id: r.providerMessageId });
    expect(fake.delivered[0]!.text).toBe(smsText(m));
    expect(fake.delivered[0]!.text).toBe(`【社区安全】3号楼2单元 火灾报警，请确认：${m.ackUrl}`);
  });

  it('is refused with a wrong secret (signature) and says so without retrying', async () => {
    const t = new SmsTransport(new AliyunSms({ ...sms, accessKeySecret: 'wrong' }));
    const r = await t.send(personMessage());
    expect(r).toMatchObject({ ok: false, retry: false, status: 400 });
    expect(r.error).toMatch(/SignatureDoesNotMatch/);
    expect(fake.delivered).toEqual([]);
  });

  it('retries platform faults and rate control, not bad numbers or unapproved templates', async () => {
    const t = new SmsTransport(new AliyunSms(sms));
    fake.failNext = { count: 1, status: 503, code: 'ServiceUnavailable' };
    expect(await t.send(personMessage())).toMatchObject({ ok: false, retry: true, status: 503 });
    expect((await new SmsTransport(new AliyunSms({ ...sms, templateCode: 'SMS_0' })).send(personMessage())).retry).toBe(false);
    const odd = { ...worker, phone: '+1 415 555 0100' };
    expect(await t.send(personMessage({ recipient: odd }))).toMatchObject({ ok: true });
    expect(fake.delivered.at(-1)!.phone).toBe('0014155550100');
    expect(t.reachable({ ...worker, phone: undefined } as never)).toBe(false);
    expect(await t.send(personMessage({ recipient: { ...worker, phone: '12' } }))).toMatchObject({ ok: false, retry: false });
    const down = new SmsTransport(new AliyunSms({ ...sms, endpoint: '127.0.0.1:1' }));
    expect(await down.send(personMessage())).toMatchObject({ ok: false, retry: true });
  });

  it('normalises numbers: +86 and 0086 dropped, spaces and dashes gone', () => {
    expect(dialable('+86 138-0013-8000')).toBe('13800138000');
    expect(dialable('008613800138000')).toBe('13800138000');
    expect(dialable('+44 20 7946 0958')).toBe('00442079460958');
    expect(dialable('010-1234')).toBeUndefined();
  });
});

describe('voice over Aliyun SingleCallByTts', () => {
  it('calls the worker and reads the place and alert', async () => {
    const t = new VoiceTransport(new AliyunVoice(voice));
    const m = personMessage({ place: { zh: '3号楼2单元', en: 'Building 3 unit 2' } });
    const r = await t.send(m);
    expect(fake.refused).toEqual([]);
    expect(r).toMatchObject({ ok: true, status: 200 });
    expect(fake.delivered[0]).toMatchObject({ action: 'SingleCallByTts', phone: '13800138000', text: '社区安全紧急告警：3号楼2单元，火灾报警。请立即处理并在短信或企业微信中确认。', id: r.providerMessageId });
  });

  it('is refused for a number it may not show', async () => {
    const r = await new VoiceTransport(new AliyunVoice({ ...voice, calledShowNumber: '01000000000' })).send(personMessage());
    expect(r).toMatchObject({ ok: false, retry: false });
    expect(r.error).toMatch(/DISPLAY_NUMBER/);
  });
});
