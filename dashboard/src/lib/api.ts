// Typed client for the hub's HTTP routes; every reply shape is defined in devices/src/wire.ts.
import type {
  AlertListReply,
  AlertReply,
  CommunityStatsReply,
  DeviceEventsReply,
  DeviceListReply,
  LatestReadingsReply,
  LoginReply,
  MeReply,
  PeopleReply,
} from '#devices/wire.ts';
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

export interface AlertQuery {
  state?: string;
  communityId?: string;
  gridCellId?: string;
  limit?: number;
}

function qs(params: Record<string, string | number | undefined | null>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') sp.set(k, String(v));
  const s = sp.toString();
  return s ? `?${s}` : '';
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

  async request<T>(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
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
    return (await this.request<AlertListReply>('GET', `/api/alerts${qs({ ...q })}`)).alerts;
  }
  async alert(id: string): Promise<Alert> {
    return (await this.request<AlertReply>('GET', `/api/alerts/${enc(id)}`)).alert;
  }
  async ack(id: string): Promise<Alert> {
    return (await this.request<AlertReply>('POST', `/api/alerts/${enc(id)}/ack`, {})).alert;
  }
  async assign(id: string, assignee: string): Promise<Alert> {
    return (await this.request<AlertReply>('POST', `/api/alerts/${enc(id)}/assign`, { assignee })).alert;
  }
  async resolve(id: string, note: string): Promise<Alert> {
    return (await this.request<AlertReply>('POST', `/api/alerts/${enc(id)}/resolve`, { note })).alert;
  }

  // ---- devices
  async devices(): Promise<Device[]> {
    return (await this.request<DeviceListReply>('GET', '/api/devices')).devices;
  }
  async device(id: string): Promise<Device> {
    return (await this.request<{ device: Device }>('GET', `/api/devices/${enc(id)}`)).device;
  }
  /** Each field's most recent value, in one request. */
  async latest(id: string): Promise<LatestReadingsReply> {
    return this.request<LatestReadingsReply>('GET', `/api/devices/${enc(id)}/latest`);
  }
  async telemetry(id: string, field: string, from: number, to: number, every?: string): Promise<TelemetrySeries> {
    return this.request<TelemetrySeries>('GET', `/api/devices/${enc(id)}/telemetry${qs({ field, from, to, every })}`);
  }
  async events(id: string, from: number, to: number): Promise<DeviceEvent[]> {
    return (await this.request<DeviceEventsReply>('GET', `/api/devices/${enc(id)}/events${qs({ from, to })}`)).events;
  }

  // ---- grid and figures
  async grid(): Promise<Grid> {
    return this.request<Grid>('GET', '/api/grid');
  }
  /** Who alerts can be assigned to, with phones and reachability (hubs before this route: 404). */
  async people(): Promise<PeopleReply['people']> {
    return (await this.request<PeopleReply>('GET', '/api/grid/people')).people;
  }
  /** Key figures per community, for the sub-district overview. */
  async communityStats(): Promise<CommunityStatsReply['communities']> {
    return (await this.request<CommunityStatsReply>('GET', '/api/stats/communities')).communities;
  }
  async stats(): Promise<Stats> {
    return this.request<Stats>('GET', '/api/stats');
  }

  // ---- auth
  async login(username: string, password: string): Promise<LoginReply> {
    const r = await this.request<LoginReply>('POST', '/api/auth/login', { username, password });
    this.token = r.token;
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
    return (await this.request<MeReply>('GET', '/api/auth/me')).user;
  }
}
