// The grid worker's outbox: a patrol report or a disposal is written to localStorage first, then
// sent; whatever could not be sent (no network, hub unreachable) is sent again when the network
// returns. Each entry carries its own Idempotency-Key from the moment it is written, so however
// many times it is sent, the hub acts on it once (server/src/cases/idempotency.ts).
import { ApiError, type Api } from './api.ts';

export interface QueuedRequest {
  /** the Idempotency-Key, made once when the person pressed submit */
  key: string;
  method: 'POST';
  path: string;
  body: Record<string, unknown>;
  /** what the person sees in the waiting list */
  label: string;
  queuedAt: number;
  attempts: number;
  /** the hub refused it (4xx): kept for the person to read, never sent again */
  refused?: string;
}

export interface QueueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const STORAGE_KEY = 'hub.worker.outbox';

function newKey(): string {
  const c = globalThis.crypto;
  return `w-${c?.randomUUID ? c.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`}`;
}

export class OfflineQueue {
  private sending: Promise<void> | null = null;
  private readonly listeners = new Set<(items: readonly QueuedRequest[]) => void>();

  constructor(
    private readonly api: Api,
    private readonly storage: QueueStorage = globalThis.localStorage,
    private readonly clock: () => number = Date.now,
  ) {}

  items(): QueuedRequest[] {
    try {
      const parsed = JSON.parse(this.storage.getItem(STORAGE_KEY) ?? '[]') as unknown;
      return Array.isArray(parsed) ? (parsed as QueuedRequest[]) : [];
    } catch {
      return [];
    }
  }

  onChange(fn: (items: readonly QueuedRequest[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Writes the request down (it survives a reload or a closed tab), then tries to send everything. */
  submit(path: string, body: Record<string, unknown>, label: string): Promise<void> {
    this.write([...this.items(), { key: newKey(), method: 'POST', path, body, label, queuedAt: this.clock(), attempts: 0 }]);
    return this.flush();
  }

  /** Sends what waits, oldest first; one run at a time. Stops at the first one the network fails. */
  flush(): Promise<void> {
    this.sending ??= this.sendAll().finally(() => (this.sending = null));
    return this.sending;
  }

  /** Forgets a refused entry once the person has read why. */
  dismiss(key: string): void {
    this.write(this.items().filter((i) => i.key !== key));
  }

  private async sendAll(): Promise<void> {
    for (;;) {
      const next = this.items().find((i) => !i.refused);
      if (!next) return;
      this.update(next.key, { attempts: next.attempts + 1 });
      try {
        await this.api.request('POST', next.path, next.body, { 'idempotency-key': next.key });
        this.write(this.items().filter((i) => i.key !== next.key));
      } catch (err) {
        // No answer, or the hub is failing: keep it and stop; the next flush sends it with the same key.
        if (!(err instanceof ApiError) || err.status === 0 || err.status >= 500 || err.status === 429 || err.status === 401) return;
        this.update(next.key, { refused: err.message });
      }
    }
  }

  private update(key: string, patch: Partial<QueuedRequest>): void {
    this.write(this.items().map((i) => (i.key === key ? { ...i, ...patch } : i)));
  }

  private write(items: QueuedRequest[]): void {
    this.storage.setItem(STORAGE_KEY, JSON.stringify(items));
    for (const fn of this.listeners) fn(items);
  }
}
