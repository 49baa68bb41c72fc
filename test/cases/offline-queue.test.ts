// The phone's outbox (dashboard/src/lib/offline-queue.ts) against a real hub: kept while the
// network fails, sent once with its key however often it is retried, refusals kept apart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api } from '../../dashboard/src/lib/api.ts';
import { OfflineQueue } from '../../dashboard/src/lib/offline-queue.ts';
import { mineToDispose, pendingFor, reworkNote } from '../../dashboard/src/lib/phone.ts';
import { startCaseHub, type CaseHub } from './case-hub.ts';

const T0 = Date.UTC(2026, 0, 5, 1, 0);

class MemoryStorage {
  readonly m = new Map<string, string>();
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
}

describe('the offline outbox against a real hub', () => {
  let h: CaseHub;
  beforeAll(async () => {
    h = await startCaseHub(T0);
  });
  afterAll(async () => h?.stop());

  it('keeps a report while there is no network, then sends it once; a lost answer is replayed, not repeated', async () => {
    let network: 'down' | 'up' | 'lose-answer' = 'down';
    const sent: string[] = [];
    const api = new Api({
      base: h.hub.httpUrl,
      fetch: async (url, init) => {
        if (network === 'down') throw new TypeError('Failed to fetch');
        sent.push(new Headers(init?.headers).get('idempotency-key') ?? '');
        const res = await fetch(url, init);
        if (network === 'lose-answer') throw new TypeError('network changed');
        return res;
      },
    });
    api.setToken(h.token('zhang'));
    const storage = new MemoryStorage();
    const q = new OfflineQueue(api, storage, () => T0);
    const body = { title: '井盖缺失', category: 'hazard', communityId: 'hx', gridCellId: 'g1', description: '路口井盖缺失', source: 'patrol' };
    await q.submit('/api/cases', body, 'report');
    expect(q.items()).toHaveLength(1);
    expect(q.items()[0]).toMatchObject({ attempts: 1, label: 'report' });
    // A new outbox over the same storage (the page reloaded) still has it.
    const again = new OfflineQueue(api, storage, () => T0);
    expect(again.items()).toHaveLength(1);

    network = 'lose-answer';
    await again.flush();
    expect(again.items()).toHaveLength(1);
    network = 'up';
    // Two flushes at once are one run.
    await Promise.all([again.flush(), again.flush()]);
    expect(again.items()).toEqual([]);
    expect(sent).toHaveLength(2);
    expect(new Set(sent).size).toBe(1);
    expect(h.hub.cases.list({}).filter((c) => c.title === '井盖缺失')).toHaveLength(1);
  });

  it('keeps a refusal for the person to read and sends what follows it', async () => {
    const api = new Api({ base: h.hub.httpUrl });
    api.setToken(h.token('zhang'));
    const q = new OfflineQueue(api, new MemoryStorage(), () => T0);
    const seen: number[] = [];
    q.onChange((items) => seen.push(items.length));
    await q.submit('/api/cases', { title: 'x', category: 'no-such', communityId: 'hx', gridCellId: 'g1', description: '', source: 'patrol' }, 'bad');
    await q.submit('/api/cases', { title: '路灯', category: 'hazard', communityId: 'hx', gridCellId: 'g1', description: '', source: 'patrol' }, 'good');
    expect(q.items()).toEqual([expect.objectContaining({ label: 'bad', refused: expect.any(String) })]);
    q.dismiss(q.items()[0]!.key);
    expect(q.items()).toEqual([]);
    expect(seen.length).toBeGreaterThan(3);
  });

  it('the phone lists its own cases, what waits for each, and a returned case’s note', () => {
    const c = (over: object) => ({ id: 'k', code: 'C', stage: 'dispatched', assignee: 'zhang', overdue: false, createdAt: T0, deadlines: {}, history: [], ...over }) as never;
    const list = mineToDispose([c({ id: 'a', deadlines: { disposed: T0 + 2 } }), c({ id: 'b', assignee: 'wang' }), c({ id: 'c', overdue: true }), c({ id: 'd', stage: 'closed' }), c({ id: 'e', deadlines: { disposed: T0 + 1 } })], { username: 'u', workerId: 'zhang' });
    expect(list.map((x: { id: string }) => x.id)).toEqual(['c', 'e', 'a']);
    expect(pendingFor([{ key: 'k1', method: 'POST', path: '/api/cases/a/dispose', body: {}, label: '', queuedAt: 0, attempts: 0 }], 'a')).toHaveLength(1);
    expect(reworkNote(c({ history: [{ action: 'dispatch' }, { action: 'verify', detail: { passed: false }, note: '没清干净' }] }))).toBe('没清干净');
    expect(reworkNote(c({ history: [{ action: 'dispatch' }] }))).toBeNull();
  });
});
