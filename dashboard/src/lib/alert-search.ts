// The alert search screen's logic: filters to query strings, pages by the hub's cursor, and the
// export link (GET /api/alerts/search, GET /api/alerts/export.csv; docs/api.md).
import type { Api } from './api.ts';
import type { Alert } from './types.ts';

/** What the screen's form holds; empty strings mean "any". Times are datetime-local values. */
export interface SearchFilters {
  from: string;
  to: string;
  communityId: string;
  gridCellId: string;
  kind: string;
  type: string;
  severity: string;
  state: string;
  q: string;
}

export const EMPTY_FILTERS: SearchFilters = { from: '', to: '', communityId: '', gridCellId: '', kind: '', type: '', severity: '', state: '', q: '' };

export interface SearchPage {
  alerts: Alert[];
  nextCursor: string | null;
}

export const PAGE_SIZE = 100;

/** A datetime-local value ("2026-03-07T14:05") read in the browser's zone, as epoch ms; '' stays unset. */
export function localToEpoch(value: string): number | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

/** The filters as URL parameters, empty ones left out. */
export function filterParams(f: SearchFilters): URLSearchParams {
  const sp = new URLSearchParams();
  const from = localToEpoch(f.from);
  const to = localToEpoch(f.to);
  if (from !== undefined) sp.set('from', String(from));
  if (to !== undefined) sp.set('to', String(to));
  for (const key of ['communityId', 'gridCellId', 'kind', 'type', 'severity', 'state'] as const) if (f[key]) sp.set(key, f[key]);
  const q = f.q.trim();
  if (q) sp.set('q', q);
  return sp;
}

export function searchPath(f: SearchFilters, cursor?: string | null, limit = PAGE_SIZE): string {
  const sp = filterParams(f);
  sp.set('limit', String(limit));
  if (cursor) sp.set('cursor', cursor);
  return `/api/alerts/search?${sp.toString()}`;
}

/** The CSV link: the same filters, headings in the screen's language. The session cookie authorises it. */
export function exportHref(f: SearchFilters, locale: string): string {
  const sp = filterParams(f);
  sp.set('lang', locale === 'en' ? 'en' : 'zh');
  return `/api/alerts/export.csv?${sp.toString()}`;
}

/**
 * Pages through a search. `more()` appends the next page; a new search (`reset`) drops the old
 * pages, and an answer to a superseded search is ignored so a slow reply never mixes filters.
 */
export class SearchPager {
  alerts: Alert[] = [];
  nextCursor: string | null = null;
  done = false;
  private generation = 0;

  constructor(private readonly api: Pick<Api, 'request'>) {}

  async reset(f: SearchFilters): Promise<void> {
    this.generation++;
    this.alerts = [];
    this.nextCursor = null;
    this.done = false;
    await this.fetch(f);
  }

  async more(f: SearchFilters): Promise<void> {
    if (this.done) return;
    await this.fetch(f);
  }

  private async fetch(f: SearchFilters): Promise<void> {
    const gen = this.generation;
    const page = await this.api.request<SearchPage>('GET', searchPath(f, this.nextCursor));
    if (gen !== this.generation) return;
    this.alerts = [...this.alerts, ...page.alerts];
    this.nextCursor = page.nextCursor;
    this.done = page.nextCursor === null;
  }
}

/** "2026-03-07 14:05" in the browser's zone: a search spans days, so the date always shows. */
export function fullTime(v: number | null): string {
  if (v === null) return '—';
  const d = new Date(v);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}
