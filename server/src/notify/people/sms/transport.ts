// SMS and voice calls to the person's phone, for critical alerts the ladder escalates to them
// (which level and which roles hear them is the ladder's choice, not these transports').
import { alertLabel } from '../message-text.ts';
import type { PersonChannelName, PersonMessage, PersonRecipient, PersonTransport, SendResult } from '../transport.ts';
import { dialable, type SmsProvider, type VoiceProvider } from './provider.ts';

/** Aliyun caps a template variable's value (35 characters for most); longer places are cut with "…". */
const MAX_VAR = 35;

function cut(s: string, max = MAX_VAR): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** An outId the providers accept (≤ 256, plain characters), tying their receipts to the message key. */
function outId(m: PersonMessage): string {
  return m.key.replace(/[^A-Za-z0-9_:.-]/g, '_').slice(0, 256);
}

abstract class PhoneTransport implements PersonTransport {
  abstract readonly channel: PersonChannelName;

  reachable(recipient: PersonRecipient): boolean {
    return dialable(recipient.phone) !== undefined;
  }

  async send(m: PersonMessage): Promise<SendResult> {
    const phone = dialable(m.recipient.phone);
    if (!phone) return { ok: false, retry: false, error: 'no dialable phone number for this person' };
    return this.deliver(phone, m);
  }

  protected abstract deliver(phone: string, m: PersonMessage): Promise<SendResult>;
}

/**
 * The SMS template this expects (register it with the provider): 【社区安全】${place} ${alert}，请确认：${link}
 * — it reads as smsText() in message-text.ts.
 */
export class SmsTransport extends PhoneTransport {
  readonly channel = 'sms' as const;

  constructor(private readonly provider: SmsProvider) {
    super();
  }

  protected deliver(phone: string, m: PersonMessage): Promise<SendResult> {
    return this.provider.sendSms(phone, { place: cut(m.place.zh), alert: cut(alertLabel('zh', m)), link: m.ackUrl }, outId(m));
  }
}

/** The TTS template this expects: 社区安全紧急告警：${place}，${alert}。请立即处理并在短信或企业微信中确认。 */
export class VoiceTransport extends PhoneTransport {
  readonly channel = 'voice' as const;

  constructor(private readonly provider: VoiceProvider) {
    super();
  }

  protected deliver(phone: string, m: PersonMessage): Promise<SendResult> {
    return this.provider.call(phone, { place: cut(m.place.zh), alert: cut(alertLabel('zh', m)) }, outId(m));
  }
}
