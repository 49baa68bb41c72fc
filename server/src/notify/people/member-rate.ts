// A provider's per-member limit (WeCom: about 30 app messages a minute to one member). Critical
// messages always go at once; other messages go while the member is under the limit less a
// reserve kept for critical ones, and are otherwise held and merged into one summary message
// ("3 more alerts in 3号楼") sent as soon as the window allows. Nothing is dropped.
import type { Logger } from '../../log.ts';
import { failure, type Clock } from './provider-http.ts';
import type { PersonMessage, SendResult } from './transport.ts';

const WINDOW_MS = 60_000;

export class MemberRateGate {
  private readonly sent = new Map<string, number[]>();
  private readonly held = new Map<string, PersonMessage[]>();
  /** sends allowed to non-critical messages within a window */
  private readonly ordinaryLimit: number;

  constructor(
    private readonly perMinute: number,
    private readonly clock: Clock,
    reserveForCritical = Math.ceil(perMinute / 3),
  ) {
    this.ordinaryLimit = Math.max(1, perMinute - reserveForCritical);
  }

  /** Whether this message may be sent now; counts it if so. Critical: always. */
  admit(member: string, critical: boolean): boolean {
    const recent = this.recent(member);
    if (!critical && (recent.length >= this.ordinaryLimit || this.held.has(member))) return false;
    recent.push(this.clock());
    return true;
  }

  hold(member: string, m: PersonMessage): void {
    const list = this.held.get(member) ?? [];
    if (!list.some((h) => h.key === m.key)) list.push(m);
    this.held.set(member, list);
  }

  /** Members whose held messages can now go out as one summary (taken off hold and counted). */
  takeDue(): { member: string; messages: PersonMessage[] }[] {
    const due: { member: string; messages: PersonMessage[] }[] = [];
    for (const [member, messages] of this.held) {
      const recent = this.recent(member);
      if (recent.length >= this.ordinaryLimit) continue;
      recent.push(this.clock());
      this.held.delete(member);
      due.push({ member, messages });
    }
    return due;
  }

  /** A summary that failed to send goes back on hold, ahead of anything held since. */
  putBack(member: string, messages: PersonMessage[]): void {
    const later = this.held.get(member) ?? [];
    this.held.set(member, [...messages, ...later.filter((m) => !messages.some((x) => x.key === m.key))]);
  }

  heldCount(): number {
    let n = 0;
    for (const list of this.held.values()) n += list.length;
    return n;
  }

  private recent(member: string): number[] {
    const since = this.clock() - WINDOW_MS;
    const list = (this.sent.get(member) ?? []).filter((t) => t > since);
    this.sent.set(member, list);
    return list;
  }
}

export interface StormMergerOptions {
  perMinute: number;
  clock: Clock;
  /** how often held messages are tried; default 5 s */
  flushIntervalMs?: number;
  /** sends one summary of held messages to one member */
  sendSummary: (member: string, messages: PersonMessage[]) => Promise<SendResult>;
  log?: Pick<Logger, 'warn'>;
  /** for logs: "WeCom", "DingTalk" */
  provider: string;
}

/**
 * The rate gate with its summaries: admit() says whether a message goes now (else it is held),
 * and every flushIntervalMs each member with held messages and room again gets one summary. A
 * summary that fails with a retryable error stays held; stop() makes a last attempt.
 */
export class StormMerger {
  private readonly gate: MemberRateGate;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(private readonly o: StormMergerOptions) {
    this.gate = new MemberRateGate(o.perMinute, o.clock);
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.o.flushIntervalMs ?? 5000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** true: send it now; false: it is held for the member's next summary. */
  admit(member: string, m: PersonMessage): boolean {
    if (this.gate.admit(member, m.alert.severity === 'critical')) return true;
    this.gate.hold(member, m);
    return false;
  }

  get held(): number {
    return this.gate.heldCount();
  }

  flush(): Promise<void> {
    this.flushing ??= this.flushDue().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async flushDue(): Promise<void> {
    for (const { member, messages } of this.gate.takeDue()) {
      const r = await this.o.sendSummary(member, messages).catch(failure);
      if (r.ok) continue;
      this.o.log?.warn({ member, error: r.error, held: messages.length }, `${this.o.provider} merged message failed`);
      if (r.retry !== false) this.gate.putBack(member, messages);
    }
  }
}
