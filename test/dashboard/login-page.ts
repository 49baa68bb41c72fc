// One way into the dashboard for the Chromium tests: a fresh browser context with a locale (and the
// chime muted unless asked), a page at `url`, and a login through the form as a person would.
import type { Browser, Page } from 'playwright-core';

export interface Login {
  username: string;
  password: string;
}

export interface OpenOptions {
  viewport?: { width: number; height: number };
  locale?: 'zh-CN' | 'en';
  /** default true: tests do not want sound */
  muted?: boolean;
  /** the selector that shows the page is ready after the login */
  ready?: string;
  /** where the login form is: the whole page by default */
  form?: string;
  /** set the locale only when the page has none yet (a reload keeps the user's choice) */
  keepLocale?: boolean;
  acceptDownloads?: boolean;
  /** a phone: its pixel ratio, mobile viewport and touch */
  phone?: boolean;
  /** collects the page's uncaught errors, for a test to expect none */
  errors?: string[];
}

/** A new context and page, not logged in yet; axe-core can be injected (bypassCSP). */
export async function newPage(browser: Browser, o: OpenOptions = {}): Promise<Page> {
  const ctx = await browser.newContext({
    viewport: o.viewport ?? { width: 1920, height: 1080 },
    bypassCSP: true,
    ...(o.acceptDownloads ? { acceptDownloads: true } : {}),
    ...(o.phone ? { deviceScaleFactor: 2, isMobile: true, hasTouch: true } : {}),
  });
  await ctx.addInitScript(
    ([l, m, keep]) => {
      if (keep !== '1' || !localStorage.getItem('hub.locale')) localStorage.setItem('hub.locale', l!);
      localStorage.setItem('hub.muted', m!);
    },
    [o.locale ?? 'zh-CN', o.muted === false ? '0' : '1', o.keepLocale ? '1' : '0'],
  );
  const p = await ctx.newPage();
  p.setDefaultTimeout(30_000);
  p.on('pageerror', (e) => (o.errors ? o.errors.push(e.message) : console.error('pageerror', e.message)));
  p.on('console', (m) => m.type() === 'error' && console.error('console', m.text()));
  return p;
}

/** Fills and sends the login form on the page as it is. */
export async function loginThroughForm(p: Page, who: Login, form = ''): Promise<void> {
  const at = form ? `${form} ` : '';
  await p.waitForSelector(form || '[data-testid=login-form]', { timeout: 60_000 });
  await p.fill(`${at}input[name=username]`, who.username);
  await p.fill(`${at}input[name=password]`, who.password);
  await p.click(`${at}button[type=submit]`);
}

/** Opens `url` in a new context and logs in through the form; waits for `ready` (the control room by default). */
export async function openLoggedIn(browser: Browser, url: string, who: Login, o: OpenOptions = {}): Promise<Page> {
  const p = await newPage(browser, o);
  await p.goto(url);
  await loginThroughForm(p, who, o.form);
  await p.waitForSelector(o.ready ?? '[data-testid=control-room]', { timeout: 60_000 });
  return p;
}
