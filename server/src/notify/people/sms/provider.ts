// SMS and voice-call providers behind one small interface, so the transports (transport.ts) do
// not care whose cloud carries the text. Adapters: Aliyun (aliyun.ts).
import type { SendResult } from '../transport.ts';

export interface SmsProvider {
  readonly name: string;
  /** One templated SMS to one number; `params` fill the template's variables. */
  sendSms(phone: string, params: Record<string, string>, outId: string): Promise<SendResult>;
}

export interface VoiceProvider {
  readonly name: string;
  /** One text-to-speech call to one number; `params` fill the TTS template's variables. */
  call(phone: string, params: Record<string, string>, outId: string): Promise<SendResult>;
}

/**
 * The number as mainland SMS APIs want it: digits only, +86/0086 dropped; other countries keep
 * their code with a leading 00. Undefined when nothing dialable is left.
 */
export function dialable(phone: string | undefined): string | undefined {
  if (!phone) return undefined;
  const plus = phone.trim().startsWith('+');
  let digits = phone.replace(/[^0-9]/g, '');
  if (plus || digits.startsWith('00')) {
    digits = digits.replace(/^00/, '');
    if (digits.startsWith('86')) digits = digits.slice(2);
    else return digits.length >= 6 ? `00${digits}` : undefined;
  }
  return /^1\d{10}$/.test(digits) ? digits : undefined;
}
