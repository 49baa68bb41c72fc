// The HTTP half every messaging provider shares (WeCom, DingTalk): one JSON request with a
// timeout, and an access token cached until shortly before it expires. Fetch and clock are
// injected so tests run against local servers on a fake clock.
import type { SendResult } from './transport.ts';

export type Fetch = typeof fetch;
export type Clock = () => number;

/** A provider call that did not succeed; `retry` says whether the outbox should try again. */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
    readonly status?: number,
    readonly code?: string | number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

export interface JsonRequest {
  method?: 'GET' | 'POST';
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * One JSON request. Network failures, timeouts, 429 and 5xx are retryable; other non-2xx answers
 * and bodies that are not JSON objects are not.
 */
export async function requestJson(fetchFn: Fetch, url: string, req: JsonRequest = {}): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetchFn(url, {
      method: req.method ?? (req.body === undefined ? 'GET' : 'POST'),
      headers: { accept: 'application/json', ...(req.body === undefined ? {} : { 'content-type': 'application/json' }), ...req.headers },
      ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
      signal: AbortSignal.timeout(req.timeoutMs ?? 10_000),
    });
  } catch (err) {
    throw new ProviderError(`${hostOf(url)} unreachable: ${(err as Error).message}`, true);
  }
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const retry = res.status === 429 || res.status >= 500;
    const detail = isObject(body) ? String(body.message ?? body.errmsg ?? body.code ?? '') : text.slice(0, 200);
    throw new ProviderError(`${hostOf(url)} answered ${res.status}${detail ? `: ${detail}` : ''}`, retry, res.status, isObject(body) ? (body.code as string | undefined) : undefined);
  }
  if (!isObject(body)) throw new ProviderError(`${hostOf(url)} answered ${res.status} without a JSON object`, true, res.status);
  return body;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export interface IssuedToken {
  token: string;
  /** lifetime the provider gave, in seconds */
  expiresInS: number;
}

/**
 * An access token fetched on first use and reused until `marginS` before it expires; concurrent
 * callers share one fetch. `invalidate()` drops it when the provider says it is no longer valid.
 */
export class TokenCache {
  private current: { token: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly issue: () => Promise<IssuedToken>,
    private readonly clock: Clock,
    private readonly marginS = 300,
  ) {}

  async get(): Promise<string> {
    const now = this.clock();
    if (this.current && now < this.current.expiresAt) return this.current.token;
    this.pending ??= this.issue()
      .then(({ token, expiresInS }) => {
        // A short-lived token is kept for half its life rather than not at all.
        const keepS = expiresInS > this.marginS * 2 ? expiresInS - this.marginS : expiresInS / 2;
        this.current = { token, expiresAt: this.clock() + keepS * 1000 };
        return token;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  invalidate(token?: string): void {
    if (token === undefined || this.current?.token === token) this.current = undefined;
  }
}

/** What the outbox is told when a provider call threw. */
export function failure(err: unknown): SendResult {
  if (err instanceof ProviderError) {
    return { ok: false, retry: err.retry, error: err.message, ...(err.status === undefined ? {} : { status: err.status }) };
  }
  return { ok: false, retry: true, error: (err as Error).message ?? String(err) };
}

/** Error codes meaning "the access token is bad or expired": fetch a new one and try once more. */
const TOKEN_ERRCODES = new Set([40001, 40014, 42001]);
/** Error codes meaning "busy / over the frequency limit": try later. */
const BUSY_ERRCODES = new Set([-1, 45009, 45033, 90018]);

/**
 * The `{errcode, errmsg}` style API both WeCom (`/cgi-bin/...`) and DingTalk's legacy
 * `oapi` (`/topapi/...`) speak: the token rides in `?access_token=`, errcode 0 is success.
 */
export class ErrcodeApi {
  constructor(
    private readonly fetchFn: Fetch,
    private readonly baseUrl: string,
    private readonly tokens: TokenCache,
    private readonly timeoutMs = 10_000,
  ) {}

  async post(path: string, body: unknown): Promise<Record<string, unknown>> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.get();
      const url = `${this.baseUrl}${path}?access_token=${encodeURIComponent(token)}`;
      const res = await requestJson(this.fetchFn, url, { method: 'POST', body, timeoutMs: this.timeoutMs });
      const code = Number(res.errcode ?? 0);
      if (code === 0) return res;
      if (TOKEN_ERRCODES.has(code) && attempt === 0) {
        this.tokens.invalidate(token);
        continue;
      }
      throw new ProviderError(`${path}: errcode ${code} ${String(res.errmsg ?? '')}`.trim(), BUSY_ERRCODES.has(code) || TOKEN_ERRCODES.has(code), 200, code);
    }
  }
}
