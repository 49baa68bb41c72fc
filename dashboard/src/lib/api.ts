// Typed client for the hub's HTTP routes (../shared/CONTRACT.md plus the dashboard's extensions).
// Tolerant of shape variants ({alerts:[...]} or a bare array) so an older or newer hub still works.
import type { Alert, Device, DeviceEvent, Grid, Stats, TelemetrySeries, User } from './types.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  get unauthorized(): boolean {
    return this.status === 401;
  }
  get missing(): boolean {
    return this.status === 404 || this.status === 405 || this.status === 501;
  }
}

export interface ApiOptions {
  /** Base URL; '' means same origin. */
  base?: string;
  fetch?: typeof fetch;
  /** Called on every 401, so the app can show the login screen. */
  onUnauthorized?: () => void;
}

export interface LoginResult {
  token?: string;
  user: User;
}

export interface AlertQuery {
  state?: string;
  communityId?: string;
  gridCellId?: string;
  limit?: number;
}

/**
 * Key figures from /api/stats, in either the hub's shape
 * `{ devices: {total, online}, alerts: {perCell, ...}, meanTimeToAcknowledgeTodayS }`
 * or the flat one `{ devicesTotal, devicesOnline, mttaTodayS, alertsPerCell }`.
 */
export function normalizeStats(body: unknown): Stats {
  if (!body || typeof body !== 'object') return {};
  const b = body as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const obj = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  const devices = obj(b.devices);
  const alerts = obj(b.alerts);
  const out: Stats = {};
  const total = num(devices?.total) ?? num(b.devicesTotal);
  const online = num(devices?.online) ?? num(b.devicesOnline);
  if (total !== undefined) out.devicesTotal = total;
  if (online !== undefined) out.devicesOnline = online;
  const mtta = 'meanTimeToAcknowledgeTodayS' in b ? b.meanTimeToAcknowledgeTodayS : b.mttaTodayS;
  if (mtta === null || num(mtta) !== undefined) out.mttaTodayS = (mtta as number | null) ?? null;
  const perCell = obj(alerts?.perCell) ?? obj(b.alertsPerCell);
  if (perCell) {
    out.alertsPerCell = Object.fromEntries(Object.entries(perCell).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
  }
  const open = obj(alerts?.openBySeverity) ?? obj(b.openBySeverity);
  if (open) out.openBySeverity = open as Stats['openBySeverity'];
  return out;
}

function qs(params: Record<string, string | number | undefined | null>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') sp.set(k, String(v));
  const s = sp.toString();
  return s ? `?${s}` : '';
}

function pick<T>(body: unknown, key: string): T {
  if (body && typeof body === 'object' && !Array.isArray(body) && key in body) {
    return (body as Record<string, unknown>)[key] as T;
  }
  return body as T;
}

const enc = encodeURIComponent;

function readCsrfCookie(): string | null {
  try {
    const c = globalThis.document?.cookie ?? '';
    const m = /(?:^|;\s*)[\w-]*csrf[\w-]*=([^;]+)/i.exec(c);
    return m ? decodeURIComponent(m[1]!) : null;
  } catch {
    return null;
  }
}

export class Api {
  private readonly base: string;
  private readonly doFetch: typeof fetch;
  private token: string | null = null;
  onUnauthorized: (() => void) | undefined;

  constructor(opts: ApiOptions = {}) {
    this.base = opts.base ?? '';
    this.doFetch = opts.fetch ?? ((...a) => globalThis.fetch(...a));
    this.onUnauthorized = opts.onUnauthorized;
  }

  /** Bearer token kept in memory only (the httpOnly cookie is what survives a reload). */
  setToken(token: string | null): void {
    this.token = token;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (method !== 'GET') {
      // CSRF: a custom header cannot be sent cross-site without a CORS preflight; a readable
      // double-submit cookie (any name containing "csrf"), if the hub sets one, is echoed back.
      headers['x-requested-with'] = 'fetch';
      const csrf = readCsrfCookie();
      if (csrf) headers['x-csrf-token'] = csrf;
    }
    let res: Response;
    try {
      res = await this.doFetch(this.base + path, {
        method,
        headers,
        credentials: 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiError(0, 'network', err instanceof Error ? err.message : String(err));
    }
    const text = await res.text();
    let data: unknown = undefined;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
    if (!res.ok) {
      const obj = (data && typeof data === 'object' ? data : {}) as { error?: unknown; message?: unknown };
      const err = new ApiError(
        res.status,
        typeof obj.error === 'string' ? obj.error : String(res.status),
        typeof obj.message === 'string' ? obj.message : res.statusText || `HTTP ${res.status}`,
      );
      if (err.unauthorized && !path.startsWith('/api/auth/login')) this.onUnauthorized?.();
      throw err;
    }
    return data as T;
  }

  // ---- alerts
  async alerts(q: AlertQuery = {}): Promise<Alert[]> {
    const body = await this.request<unknown>('GET', `/api/alerts${qs({ ...q })}`);
    const list = pick<Alert[] | undefined>(body, 'alerts');
    return Array.isArray(list) ? list : [];
  }
  async alert(id: string): Promise<Alert> {
    return pick<Alert>(await this.request<unknown>('GET', `/api/alerts/${enc(id)}`), 'alert');
  }
  async ack(id: string): Promise<Alert> {
    return pick<Alert>(await this.request<unknown>('POST', `/api/alerts/${enc(id)}/ack`, {}), 'alert');
  }
  async assign(id: string, assignee: string): Promise<Alert> {
    return pick<Alert>(await this.request<unknown>('POST', `/api/alerts/${enc(id)}/assign`, { assignee }), 'alert');
  }
  async resolve(id: string, note: string): Promise<Alert> {
    return pick<Alert>(await this.request<unknown>('POST', `/api/alerts/${enc(id)}/resolve`, { note }), 'alert');
  }

  // ---- devices
  async devices(): Promise<Device[]> {
    const list = pick<Device[] | undefined>(await this.request<unknown>('GET', '/api/devices'), 'devices');
    return Array.isArray(list) ? list : [];
  }
  async device(id: string): Promise<Device> {
    return pick<Device>(await this.request<unknown>('GET', `/api/devices/${enc(id)}`), 'device');
  }
  async telemetry(id: string, field: string, from: number, to: number, every?: string): Promise<TelemetrySeries> {
    const body = await this.request<Partial<TelemetrySeries>>(
      'GET',
      `/api/devices/${enc(id)}/telemetry${qs({ field, from, to, every })}`,
    );
    return { deviceId: id, field, points: Array.isArray(body?.points) ? body.points : [] };
  }
  async events(id: string, from: number, to: number): Promise<DeviceEvent[]> {
    const list = pick<DeviceEvent[] | undefined>(
      await this.request<unknown>('GET', `/api/devices/${enc(id)}/events${qs({ from, to })}`),
      'events',
    );
    return Array.isArray(list) ? list : [];
  }

  // ---- grid and figures (extensions; absent on an older hub)
  async grid(): Promise<Grid> {
    const body = await this.request<unknown>('GET', '/api/grid');
    const g = (pick<Grid>(body, 'grid') ?? {}) as Partial<Grid>;
    return { communities: Array.isArray(g.communities) ? g.communities : [], workers: g.workers ?? [] };
  }
  async stats(): Promise<Stats> {
    return normalizeStats(await this.request<unknown>('GET', '/api/stats'));
  }

  // ---- auth
  async login(username: string, password: string): Promise<LoginResult> {
    const r = await this.request<LoginResult>('POST', '/api/auth/login', { username, password });
    if (r?.token) this.token = r.token;
    return r;
  }
  async logout(): Promise<void> {
    try {
      await this.request('POST', '/api/auth/logout', {});
    } finally {
      this.token = null;
    }
  }
  async me(): Promise<User> {
    return pick<User>(await this.request<unknown>('GET', '/api/auth/me'), 'user');
  }
}
