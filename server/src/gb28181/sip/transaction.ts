import type { SipRequest, SipResponse } from './message.ts';

/** Timers the transactions run on; tests hand in a manual one to step RFC 3261 §17 time. */
export interface Scheduler {
  now(): number;
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  set: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** RFC 3261 §17.1.1.1 defaults: RTT estimate, the cap on non-INVITE retransmits, a message's network lifetime. */
export interface SipTimers {
  t1: number;
  t2: number;
  t4: number;
}
export const DEFAULT_TIMERS: SipTimers = { t1: 500, t2: 4000, t4: 5000 };

export type TransactionState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export interface ClientTransactionOptions {
  request: SipRequest;
  /** TCP: no retransmissions, Timer K is zero. */
  reliable: boolean;
  send: () => void;
  scheduler: Scheduler;
  timers?: SipTimers;
  onResponse: (res: SipResponse) => void;
  /** Timer F fired: no final response in 64·T1. */
  onTimeout: () => void;
  onTerminated: () => void;
}

/** Non-INVITE client transaction, RFC 3261 §17.1.2 (Figure 6). */
export class ClientTransaction {
  state: TransactionState = 'trying';
  private interval: number;
  private timerE: unknown;
  private timerF: unknown;
  private timerK: unknown;
  private readonly t: SipTimers;
  /** Sends so far, the first included (for tests and metrics). */
  sends = 0;

  constructor(private readonly o: ClientTransactionOptions) {
    this.t = o.timers ?? DEFAULT_TIMERS;
    this.interval = this.t.t1;
  }

  start(): void {
    this.transmit();
    if (!this.o.reliable) this.timerE = this.o.scheduler.set(() => this.fireE(), this.interval);
    this.timerF = this.o.scheduler.set(() => this.fireF(), 64 * this.t.t1);
  }

  private transmit(): void {
    this.sends++;
    this.o.send();
  }

  private fireE(): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    this.transmit();
    // Trying: doubles up to T2; Proceeding: every T2.
    this.interval = this.state === 'trying' ? Math.min(2 * this.interval, this.t.t2) : this.t.t2;
    this.timerE = this.o.scheduler.set(() => this.fireE(), this.interval);
  }

  private fireF(): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    this.terminate();
    this.o.onTimeout();
  }

  receive(res: SipResponse): void {
    if (this.state === 'completed' || this.state === 'terminated') return; // retransmitted finals are absorbed
    if (res.status < 200) {
      if (this.state === 'trying') {
        this.state = 'proceeding';
        if (!this.o.reliable) {
          this.o.scheduler.clear(this.timerE);
          this.interval = this.t.t2;
          this.timerE = this.o.scheduler.set(() => this.fireE(), this.interval);
        }
      }
      this.o.onResponse(res);
      return;
    }
    this.state = 'completed';
    this.o.scheduler.clear(this.timerE);
    this.o.scheduler.clear(this.timerF);
    this.o.onResponse(res);
    if (this.o.reliable) this.terminate();
    else this.timerK = this.o.scheduler.set(() => this.terminate(), this.t.t4);
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    for (const h of [this.timerE, this.timerF, this.timerK]) this.o.scheduler.clear(h);
    this.o.onTerminated();
  }
}

export interface ServerTransactionOptions {
  reliable: boolean;
  send: (res: SipResponse) => void;
  scheduler: Scheduler;
  timers?: SipTimers;
  onTerminated: () => void;
}

/** Non-INVITE server transaction, RFC 3261 §17.2.2 (Figure 8). */
export class ServerTransaction {
  state: TransactionState = 'trying';
  private last: SipResponse | undefined;
  private timerJ: unknown;
  private readonly t: SipTimers;

  constructor(private readonly o: ServerTransactionOptions) {
    this.t = o.timers ?? DEFAULT_TIMERS;
  }

  /** A retransmission of the request: answered with the last response, or absorbed while Trying. */
  retransmitted(): void {
    if ((this.state === 'proceeding' || this.state === 'completed') && this.last) this.o.send(this.last);
  }

  respond(res: SipResponse): void {
    if (this.state === 'completed' || this.state === 'terminated') return;
    this.last = res;
    this.o.send(res);
    if (res.status < 200) {
      this.state = 'proceeding';
      return;
    }
    this.state = 'completed';
    // Timer J: 64·T1 on UDP to answer retransmissions, zero on TCP.
    if (this.o.reliable) this.terminate();
    else this.timerJ = this.o.scheduler.set(() => this.terminate(), 64 * this.t.t1);
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.o.scheduler.clear(this.timerJ);
    this.o.onTerminated();
  }
}
