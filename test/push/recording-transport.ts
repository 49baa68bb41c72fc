import type { PersonChannelName, PersonMessage, PersonRecipient, PersonTransport, SendResult } from '../../server/src/notify/people/transport.ts';

/**
 * A transport for the machinery's own tests (fan-out, retries, cancellation): it records each
 * message and answers what the test says. The real transports are tested against local servers
 * that speak their providers' protocols (webpush.test.ts; msg's WeCom/DingTalk/SMS tests).
 */
export class RecordingTransport implements PersonTransport {
  readonly sent: PersonMessage[] = [];
  readonly acknowledgedAlerts: { alertId: string; by: string }[] = [];
  answer: (m: PersonMessage) => SendResult | Promise<SendResult> = () => ({ ok: true });

  constructor(
    readonly channel: PersonChannelName,
    private readonly address: (r: PersonRecipient) => string | undefined,
  ) {}

  reachable(r: PersonRecipient): boolean {
    return Boolean(this.address(r));
  }

  acknowledged(alertId: string, by: string): void {
    this.acknowledgedAlerts.push({ alertId, by });
  }

  async send(m: PersonMessage): Promise<SendResult> {
    this.sent.push(m);
    return this.answer(m);
  }
}
