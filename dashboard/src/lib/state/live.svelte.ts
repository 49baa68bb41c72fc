// The live connection to /ws and the hub's clock: connection state for the banner, `now` for ages.
import { LiveConnection, clockSkew, wsUrl, type LiveStatus } from '../live.ts';
import type { LiveMessage } from '../types.ts';

export interface LiveHandlers {
  onMessage: (m: LiveMessage) => void;
  /** After a reconnect (not the first connect): the owner refetches what it may have missed. */
  onReconnect: () => void;
  /** Once a second, with the count of seconds since start. */
  onTick: (ticks: number) => void;
  /** The hub closed /ws because the session, the account or this display's pairing ended. */
  onAccessEnded: (code: number) => void;
}

export class LiveState {
  conn = $state<LiveStatus>('connecting');
  retryAt = $state<number | null>(null);
  /** Set when a resync after a reconnect finished; the banner shows it briefly. */
  resyncedAt = $state<number | null>(null);
  /** The hub's time, updated once a second; ages are computed on the hub's clock. */
  now = $state(Date.now());

  private skewMs = 0;
  private live: LiveConnection | null = null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private readonly onlineHandler = () => this.live?.retryNow();

  start(h: LiveHandlers): void {
    let ticks = 0;
    this.ticker = setInterval(() => {
      this.now = Date.now() + this.skewMs;
      h.onTick(++ticks);
    }, 1000);
    if (typeof window !== 'undefined') window.addEventListener('online', this.onlineHandler);
    const loc = typeof location !== 'undefined' ? location : { protocol: 'http:', host: '127.0.0.1' };
    this.live = new LiveConnection({
      url: wsUrl(loc),
      onMessage: h.onMessage,
      onOpen: (first) => {
        if (!first) h.onReconnect();
      },
      onStatus: (s, retryAt) => {
        this.conn = s;
        this.retryAt = retryAt;
      },
      onAccessEnded: h.onAccessEnded,
      staleMs: 0,
    });
    this.live.start();
  }

  stop(): void {
    this.live?.stop();
    this.live = null;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    if (typeof window !== 'undefined') window.removeEventListener('online', this.onlineHandler);
  }

  retryNow(): void {
    this.live?.retryNow();
  }

  hello(serverTime: number): void {
    this.skewMs = clockSkew(serverTime, Date.now());
    this.now = Date.now() + this.skewMs;
  }
}
