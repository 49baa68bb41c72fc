// Reactive current language. Components call t(key) inside templates; switching re-renders them.
import {
  DEFAULT_LOCALE,
  LOCALE_STORAGE_KEY,
  formatDuration,
  isLocale,
  kindLabel,
  localName,
  roleLabel,
  termLabel,
  translate,
  type Locale,
  type MessageKey,
  type Params,
} from './i18n.ts';
import type { Alert, LocalizedName, User } from './types.ts';

type UserRole = User['role'];

function stored(): Locale {
  try {
    const v = globalThis.localStorage?.getItem(LOCALE_STORAGE_KEY);
    return isLocale(v) ? v : DEFAULT_LOCALE;
  } catch {
    return DEFAULT_LOCALE;
  }
}

class LocaleState {
  current = $state<Locale>(stored());

  set(locale: Locale): void {
    this.current = locale;
    try {
      globalThis.localStorage?.setItem(LOCALE_STORAGE_KEY, locale);
    } catch {
      /* private mode: choice lasts for this page only */
    }
    if (typeof document !== 'undefined') document.documentElement.lang = locale;
  }

  toggle(): void {
    this.set(this.current === 'zh-CN' ? 'en' : 'zh-CN');
  }
}

export const locale = new LocaleState();
if (typeof document !== 'undefined') document.documentElement.lang = locale.current;

export const t = (key: MessageKey, params?: Params): string => translate(locale.current, key, params);
export const kind = (k: string): string => kindLabel(locale.current, k);
export const term = (k: string | null | undefined): string => termLabel(locale.current, k);
export const role = (r: UserRole): string => roleLabel(locale.current, r);
export const duration = (ms: number): string => formatDuration(locale.current, ms);
/** "a · b · c" without empty parts (template blocks would eat the spaces around the dots). */
export const join = (...parts: (string | number | null | undefined | false)[]): string =>
  parts.filter((p) => p !== null && p !== undefined && p !== false && p !== '').join(' · ');
const floorText = (f: unknown): string | null => (f === null || f === undefined || f === '' ? null : translate(locale.current, 'alert.floorValue', { floor: String(f) }));
export const floor = floorText;
export const name = (n: LocalizedName | null | undefined): string => localName(locale.current, n);

/** The line a person reads first: the alert type in the current language, else the hub's title. */
export function headline(a: Pick<Alert, 'type' | 'title'>): string {
  const label = termLabel(locale.current, a.type);
  return label && label !== a.type ? label : a.title || a.type;
}

/** Hours and minutes, "19:42". */
export function clock(v: number): string {
  return new Date(v).toLocaleTimeString(locale.current, { hour: '2-digit', minute: '2-digit', hour12: false });
}

export function formatTime(v: number | null): string {
  if (v === null) return '—';
  const d = new Date(v);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  const opts: Intl.DateTimeFormatOptions = sameDay
    ? { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }
    : { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false };
  return d.toLocaleString(locale.current, opts);
}
