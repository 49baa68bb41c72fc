// A provider's per-member limit (WeCom: about 30 app messages a minute to one member). Critical
// messages always go at once; other messages go while the member is under the limit less a
// reserve kept for critical ones, and are otherwise held and merged into one summary message
// ("3 more alerts in 3号楼") sent as soon as the window allows. Nothing is dropped.
import type { Clock } from './provider-http.ts';
import type { PersonMessage } from './transport.ts';

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
