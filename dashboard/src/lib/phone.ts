// The grid worker's phone: which cases are theirs to work on, and what of them waits in the outbox.
import { receivedSinceDispatch, type Case } from '#devices/cases.ts';
import type { Api } from './api.ts';
import type { QueuedRequest } from './offline-queue.ts';
import type { User } from './types.ts';

export { receivedSinceDispatch };

/** Dispatched to this worker (by worker id or username) and not yet checked: overdue first, then the nearest deadline. */
export function mineToDispose<C extends Case>(cases: readonly C[], user: Pick<User, 'username' | 'workerId'> | null): C[] {
  if (!user) return [];
  const me = new Set([user.username, user.workerId].filter((x): x is string => !!x));
  const due = (c: Case) => c.deadlines.disposed ?? Infinity;
  return cases
    .filter((c) => c.assignee !== null && me.has(c.assignee) && (c.stage === 'dispatched' || c.stage === 'disposed'))
    .sort((a, b) => Number(b.overdue) - Number(a.overdue) || due(a) - due(b) || a.createdAt - b.createdAt);
}

/** What the outbox still holds for one case. */
export function pendingFor(items: readonly QueuedRequest[], caseId: string): QueuedRequest[] {
  const prefix = `/api/cases/${encodeURIComponent(caseId)}/`;
  return items.filter((i) => !i.refused && i.path.startsWith(prefix));
}

/** A failed check's note while the case is back with the worker (返工), else null. */
export function reworkNote(c: Pick<Case, 'stage' | 'history'>): string | null {
  if (c.stage !== 'dispatched') return null;
  for (let i = c.history.length - 1; i >= 0; i--) {
    const h = c.history[i]!;
    if (h.action === 'dispatch') return null;
    if (h.action === 'verify' && h.detail?.passed === false) return h.note ?? '';
  }
  return null;
}

export interface CaseCategoryName {
  id: string;
  name: { zh: string; en: string };
}

const CATEGORIES_KEY = 'hub.case.categories';

/** The hub's case categories; the last list seen when offline (a patrol report is written anywhere). */
export async function caseCategories(api: Api, storage: Pick<Storage, 'getItem' | 'setItem'> = globalThis.localStorage): Promise<CaseCategoryName[]> {
  try {
    const { categories } = await api.request<{ categories: CaseCategoryName[] }>('GET', '/api/cases/categories');
    storage.setItem(CATEGORIES_KEY, JSON.stringify(categories));
    return categories;
  } catch {
    try {
      return JSON.parse(storage.getItem(CATEGORIES_KEY) ?? '[]') as CaseCategoryName[];
    } catch {
      return [];
    }
  }
}
