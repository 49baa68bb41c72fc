import { randomUUID } from 'node:crypto';

/** One ONVIF notification as the camera would emit it. */
export interface SimNotification {
  topic: string;
  utcTime: Date;
  /** `Initialized` for the state a new subscriber learns, `Changed` for a live change. */
  operation: 'Initialized' | 'Changed';
  source: Record<string, string>;
  data: Record<string, string>;
}

interface Waiter {
  limit: number;
  resolve: (messages: SimNotification[]) => void;
  timer: NodeJS.Timeout;
}

interface Subscription {
  id: string;
  queue: SimNotification[];
  terminatesAt: number;
  waiter: Waiter | undefined;
}

/** Queue cap per subscription: a subscriber that stops pulling must not grow the camera's memory. */
const MAX_QUEUE = 100;

/** The camera side of WS-BaseNotification pull points: per-subscription queues and long-polling PullMessages. */
export class PullPointManager {
  private readonly subs = new Map<string, Subscription>();

  get count(): number {
    this.expire();
    return this.subs.size;
  }

  create(terminationMs: number): { id: string; terminatesAt: number } {
    this.expire();
    const id = randomUUID();
    this.subs.set(id, { id, queue: [], terminatesAt: Date.now() + terminationMs, waiter: undefined });
    return { id, terminatesAt: Date.now() + terminationMs };
  }

  has(id: string): boolean {
    this.expire();
    return this.subs.has(id);
  }

  renew(id: string, terminationMs: number): number | undefined {
    const sub = this.subs.get(id);
    if (!sub) return undefined;
    sub.terminatesAt = Date.now() + terminationMs;
    return sub.terminatesAt;
  }

  terminatesAt(id: string): number | undefined {
    return this.subs.get(id)?.terminatesAt;
  }

  /** Resolves at once when messages are queued, otherwise when one arrives or the timeout passes (empty). */
  pull(id: string, timeoutMs: number, limit: number): Promise<SimNotification[]> | undefined {
    const sub = this.subs.get(id);
    if (!sub) return undefined;
    // A pull keeps the subscription alive for at least its own wait, as cameras do.
    sub.terminatesAt = Math.max(sub.terminatesAt, Date.now() + timeoutMs + 10_000);
    if (sub.queue.length > 0) return Promise.resolve(sub.queue.splice(0, limit));
    this.release(sub);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.release(sub), timeoutMs);
      sub.waiter = { limit, resolve, timer };
    });
  }

  publish(n: SimNotification): void {
    this.expire();
    for (const sub of this.subs.values()) {
      sub.queue.push(n);
      if (sub.queue.length > MAX_QUEUE) sub.queue.shift();
      if (sub.waiter) {
        const w = sub.waiter;
        sub.waiter = undefined;
        clearTimeout(w.timer);
        w.resolve(sub.queue.splice(0, w.limit));
      }
    }
  }

  /** Pushes `n` to one subscription only (the initial state a new subscriber is told about). */
  publishTo(id: string, n: SimNotification): void {
    this.subs.get(id)?.queue.push(n);
  }

  remove(id: string): boolean {
    const sub = this.subs.get(id);
    if (!sub) return false;
    this.release(sub);
    this.subs.delete(id);
    return true;
  }

  /** Answers every pending pull (empty) and forgets all subscriptions: camera reboot, power loss or shutdown. */
  clear(): void {
    for (const sub of this.subs.values()) this.release(sub);
    this.subs.clear();
  }

  private release(sub: Subscription): void {
    if (!sub.waiter) return;
    const w = sub.waiter;
    sub.waiter = undefined;
    clearTimeout(w.timer);
    w.resolve([]);
  }

  private expire(): void {
    const now = Date.now();
    for (const sub of this.subs.values()) {
      if (sub.terminatesAt < now && !sub.waiter) this.subs.delete(sub.id);
    }
  }
}
