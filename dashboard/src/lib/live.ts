// One WebSocket to /ws with reconnect (exponential backoff with jitter) and a resync hook:
// after every (re)connect the owner refetches state, so no alert changed during a blip is missed.
import { LIVE_CLOSE } from '#devices/wire.ts';
import type { LiveMessage } from './types.ts';

export type LiveStatus = 'connecting' | 'open' | 'down';

export interface LiveOptions {
  url: string;
  onMessage: (msg: LiveMessage) => void;
  /** Called after each successful (re)connect; `first` is true for the first one. */
  onOpen?: (first: boolean) => void;
  onStatus?: (status: LiveStatus, retryAt: number | null) => void;
  /** The hub closed the socket because access ended (LIVE_CLOSE codes): no reconnect follows. */
  onAccessEnded?: (code: number) => void;
  /** For tests. */
  WebSocketImpl?: typeof WebSocket;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Without any message or pong for this long the socket counts as dead. 0 disables. */
  staleMs?: number;
  random?: () => number;
}

export function backoffDelay(attempt: number, min: number, max: number, random: () => number): number {
  const exp = Math.min(max, min * 2 ** Math.max(0, attempt));
  // full jitter in the upper half, so a whole control room does not reconnect in lockstep
  return Math.round(exp / 2 + (random() * exp) / 2);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasId = (v: unknown): boolean => isObject(v) && typeof v.id === 'string';

/**
 * One /ws frame as a message of the contract, or null: a frame the contract lacks (unknown type,
 * missing payload) is ignored rather than half-applied.
 */
export function parseLiveMessage(text: string): LiveMessage | null {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(m)) return null;
  switch (m.type) {
    case 'hello':
      return typeof m.serverTime === 'number' ? (m as LiveMessage) : null;
    case 'alert':
      return hasId(m.alert) ? (m as LiveMessage) : null;
    case 'device':
      return hasId(m.device) ? (m as LiveMessage) : null;
    case 'annotation':
      return typeof m.alertId === 'string' && isObject(m.entry) && typeof m.entry.action === 'string' ? (m as LiveMessage) : null;
    default:
      return null;
  }
}

export function wsUrl(loc: { protocol: string; host: string }, path = '/ws'): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}${path}`;
}

/** Hub clock minus ours from a `hello`: sub-second differences are network delay, not drift. */
export function clockSkew(serverTime: number, localNow: number): number {
  const skew = serverTime - localNow;
  return Math.abs(skew) > 1500 ? skew : 0;
}

const ACCESS_ENDED = new Set<number>(Object.values(LIVE_CLOSE));

export class LiveConnection {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private staleTimer: ReturnType<typeof setInterval> | null = null;
  private lastActivity = 0;
  private stopped = true;
  private everOpened = false;
  status: LiveStatus = 'connecting';
  retryAt: number | null = null;

  constructor(private readonly opts: LiveOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
    const stale = this.opts.staleMs ?? 0;
    if (stale > 0 && !this.staleTimer) {
      this.staleTimer = setInterval(() => {
        if (this.ws && this.status === 'open' && Date.now() - this.lastActivity > stale) this.ws.close();
      }, Math.max(1000, stale / 3));
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.staleTimer) clearInterval(this.staleTimer);
    this.timer = null;
    this.staleTimer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onclose = ws.onerror = ws.onmessage = null;
      try {
        ws.close();
      } catch {
        /* already closed */
      }
    }
  }

  /** Reconnect now (e.g. the user pressed Retry, or the page came back online). */
  retryNow(): void {
    if (this.stopped || this.status === 'open') return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.connect();
  }

  private setStatus(s: LiveStatus, retryAt: number | null = null): void {
    this.status = s;
    this.retryAt = retryAt;
    this.opts.onStatus?.(s, retryAt);
  }

  private connect(): void {
    if (this.stopped) return;
    const Impl = this.opts.WebSocketImpl ?? globalThis.WebSocket;
    if (this.status !== 'down') this.setStatus('connecting');
    let ws: WebSocket;
    try {
      ws = new Impl(this.opts.url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      this.attempt = 0;
      this.lastActivity = Date.now();
      const first = !this.everOpened;
      this.everOpened = true;
      this.setStatus('open');
      this.opts.onOpen?.(first);
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (ws !== this.ws) return;
      this.lastActivity = Date.now();
      if (typeof ev.data !== 'string') return;
      const msg = parseLiveMessage(ev.data);
      if (msg) this.opts.onMessage(msg);
    };
    ws.onerror = () => {
      /* onclose follows */
    };
    ws.onclose = (ev: CloseEvent) => {
      if (ws !== this.ws) return;
      this.ws = null;
      if (ACCESS_ENDED.has(ev.code)) {
        this.stop();
        this.setStatus('down');
        this.opts.onAccessEnded?.(ev.code);
        return;
      }
      this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    const delay = backoffDelay(
      this.attempt++,
      this.opts.minDelayMs ?? 500,
      this.opts.maxDelayMs ?? 15_000,
      this.opts.random ?? Math.random,
    );
    this.setStatus('down', Date.now() + delay);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }
}
