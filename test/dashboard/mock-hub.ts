// A stand-in hub for dashboard tests and the browser benchmark: serves dashboard/dist (SPA fallback)
// and the contract routes the dashboard uses, with the shapes the dashboard assumes. Loopback only.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { KINDS } from '../../devices/src/kinds/index.ts';

export interface MockAlert {
  id: string;
  communityId: string;
  gridCellId: string;
  deviceId: string;
  kind: string;
  type: string;
  severity: 'critical' | 'major' | 'minor' | 'info';
  state: 'open' | 'acknowledged' | 'resolved';
  title: string;
  openedAt: number;
  lastSeenAt: number;
  clearedAt: number | null;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  count: number;
  assignee: string | null;
  escalationLevel: number;
  incidentId: string | null;
  buildingId?: string | null;
  floor?: number | null;
  history: { at: number; action: string; by?: string | null; note?: string | null }[];
  snapshots?: { url: string; cameraId: string; takenAt: number }[];
}

export interface MockDevice {
  id: string;
  kind: string;
  communityId: string;
  gridCellId: string;
  buildingId: string | null;
  floor: number | null;
  name: string | null;
  online: boolean;
  lastSeenAt: number | null;
  provisioned: boolean;
  location: null;
}

export interface MockHubOptions {
  devices?: number;
  alerts?: number;
  /** When set, /api/auth/* exist and every other /api route needs a session. */
  users?: Record<string, { password: string; role: string; cells?: string[] }>;
  /** Omit /api/grid and /api/stats (an older hub). */
  noGrid?: boolean;
  distDir?: string;
}

const SEVS = ['critical', 'major', 'minor', 'info'] as const;
const MIME: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html', '.svg': 'image/svg+xml' };

export function makeDevices(n: number): MockDevice[] {
  const out: MockDevice[] = [];
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const cell = `g${(i % 8) + 1}`;
    out.push({
      id: `d${i}`,
      kind: KINDS[i % KINDS.length]!,
      communityId: 'c1',
      gridCellId: cell,
      buildingId: `${cell}-b${Math.floor(i / 8) % 6 + 1}`,
      floor: (i % 18) + 1,
      name: i % 3 === 0 ? `设备 ${i}` : null,
      online: i % 50 !== 7,
      lastSeenAt: now - (i % 600) * 1000,
      provisioned: true,
      location: null,
    });
  }
  return out;
}

export function makeAlert(id: string, d: MockDevice, severity: MockAlert['severity'], openedAt: number): MockAlert {
  return {
    id,
    communityId: d.communityId,
    gridCellId: d.gridCellId,
    deviceId: d.id,
    kind: d.kind,
    type: severity === 'critical' ? 'fire_alarm' : 'device_offline',
    severity,
    state: 'open',
    title: severity === 'critical' ? `火灾报警 Fire alarm · ${d.buildingId}` : `设备离线 Device offline · ${d.id}`,
    buildingId: d.buildingId,
    floor: d.floor,
    openedAt,
    lastSeenAt: openedAt,
    clearedAt: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    count: 1,
    assignee: null,
    escalationLevel: 0,
    incidentId: null,
    history: [{ at: openedAt, action: 'opened' }],
  };
}

export class MockHub {
  devices: MockDevice[];
  alerts = new Map<string, MockAlert>();
  url = '';
  private server: http.Server;
  private wss: WebSocketServer;
  private sessions = new Map<string, { username: string; role: string; cells?: string[] }>();
  private sockets = new Set<WebSocket>();
  private seq = 0;
  /** While true, WebSocket upgrades are refused (a "network blip"). */
  refuseWs = false;

  constructor(private readonly opts: MockHubOptions = {}) {
    this.devices = makeDevices(opts.devices ?? 40);
    const now = Date.now();
    for (let i = 0; i < (opts.alerts ?? 0); i++) {
      const d = this.devices[i % this.devices.length]!;
      const a = makeAlert(`a${++this.seq}`, d, SEVS[i % 4]!, now - (i + 1) * 7000);
      this.alerts.set(a.id, a);
    }
    const dist = opts.distDir ?? path.resolve(import.meta.dirname, '../../dashboard/dist');
    this.server = http.createServer((req, res) => void this.handle(req, res, dist));
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      if (req.url !== '/ws' || this.refuseWs || (this.opts.users && !this.sessionOf(req))) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.sockets.add(ws);
        ws.on('close', () => this.sockets.delete(ws));
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Drop every live socket (the client must reconnect and resync). */
  dropSockets(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  get socketCount(): number {
    return this.sockets.size;
  }

  broadcast(msg: unknown): void {
    const s = JSON.stringify(msg);
    for (const ws of this.sockets) ws.send(s);
  }

  /** Open a new alert on a device and push it; `silent` stores it without a push (missed during a blip). */
  raise(severity: MockAlert['severity'], deviceIndex = 0, silent = false): MockAlert {
    const d = this.devices[deviceIndex % this.devices.length]!;
    const a = makeAlert(`a${++this.seq}`, d, severity, Date.now());
    this.alerts.set(a.id, a);
    if (!silent) this.broadcast({ type: 'alert', alert: a });
    return a;
  }

  private sessionOf(req: http.IncomingMessage) {
    const m = /(?:^|;\s*)hub_session=([^;]+)/.exec(req.headers.cookie ?? '');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const token = bearer?.[1] ?? m?.[1];
    return token ? this.sessions.get(token) : undefined;
  }

  private async body(req: http.IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    try {
      const v = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      return v && typeof v === 'object' ? v : {};
    } catch {
      return {};
    }
  }

  private change(a: MockAlert, patch: Partial<MockAlert>, action: string, by: string | null, note?: string) {
    Object.assign(a, patch);
    a.history = [...a.history, { at: Date.now(), action, by, ...(note ? { note } : {}) }];
    this.broadcast({ type: 'alert', alert: a });
    return { alert: a };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, dist: string) {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname;
    const json = (status: number, v: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(v));
    };
    if (!p.startsWith('/api/')) {
      const file = path.join(dist, path.normalize(p).replace(/^(\.\.[/\\])+/, ''));
      const target = file.startsWith(dist) && fs.existsSync(file) && fs.statSync(file).isFile() ? file : path.join(dist, 'index.html');
      res.writeHead(200, { 'content-type': MIME[path.extname(target)] ?? 'application/octet-stream' });
      fs.createReadStream(target).pipe(res);
      return;
    }
    const users = this.opts.users;
    if (p.startsWith('/api/auth/')) {
      if (!users) return json(404, { error: 'NOT_FOUND', message: 'no auth' });
      if (p === '/api/auth/login' && req.method === 'POST') {
        const b = await this.body(req);
        const u = users[String(b.username)];
        if (!u || u.password !== b.password) return json(401, { error: 'BAD_CREDENTIALS', message: 'wrong username or password' });
        const token = `t${Math.random().toString(36).slice(2)}`;
        const user = { username: String(b.username), role: u.role, ...(u.cells ? { cells: u.cells } : {}) };
        this.sessions.set(token, user);
        return json(200, { token, user }, { 'set-cookie': `hub_session=${token}; HttpOnly; Path=/; SameSite=Strict` });
      }
      if (p === '/api/auth/logout') return json(200, { ok: true }, { 'set-cookie': 'hub_session=; Path=/; Max-Age=0' });
      if (p === '/api/auth/me') {
        const s = this.sessionOf(req);
        return s ? json(200, { user: s }) : json(401, { error: 'UNAUTHORIZED', message: 'log in' });
      }
    }
    const session = users ? this.sessionOf(req) : { username: 'anonymous', role: 'admin' };
    if (!session) return json(401, { error: 'UNAUTHORIZED', message: 'log in' });

    if (p === '/api/alerts' && req.method === 'GET') {
      const state = url.searchParams.get('state');
      const list = [...this.alerts.values()].filter((a) => !state || a.state === state);
      return json(200, { alerts: list });
    }
    const am = /^\/api\/alerts\/([^/]+)(?:\/(ack|assign|resolve))?$/.exec(p);
    if (am) {
      const a = this.alerts.get(decodeURIComponent(am[1]!));
      if (!a) return json(404, { error: 'ALERT_NOT_FOUND', message: 'no such alert' });
      if (!am[2]) return json(200, { alert: a });
      if (req.method !== 'POST') return json(405, { error: 'METHOD', message: 'POST' });
      const b = await this.body(req);
      const now = Date.now();
      if (am[2] === 'ack') {
        if (a.state !== 'open') return json(409, { error: 'STATE', message: `alert is ${a.state}` });
        return json(200, this.change(a, { state: 'acknowledged', acknowledgedAt: now, acknowledgedBy: session.username }, 'acknowledged', session.username));
      }
      if (am[2] === 'assign') {
        return json(200, this.change(a, { assignee: String(b.assignee ?? '') }, 'assigned', session.username));
      }
      const note = typeof b.note === 'string' ? b.note.trim() : '';
      if (!note) return json(400, { error: 'NOTE_REQUIRED', message: 'note required' });
      return json(200, this.change(a, { state: 'resolved', resolvedAt: now, resolvedBy: session.username }, 'resolved', session.username, note));
    }
    if (p === '/api/devices') return json(200, { total: this.devices.length, devices: this.devices });
    const dm = /^\/api\/devices\/([^/]+)(?:\/(telemetry|events))?$/.exec(p);
    if (dm) {
      const d = this.devices.find((x) => x.id === decodeURIComponent(dm[1]!));
      if (!d) return json(404, { error: 'DEVICE_NOT_FOUND', message: 'no such device' });
      if (!dm[2]) return json(200, { device: d });
      const now = Date.now();
      if (dm[2] === 'events') return json(200, { deviceId: d.id, events: [{ ts: now - 60_000, type: 'test', detail: { note: '<b>not html</b>' } }] });
      const field = url.searchParams.get('field') ?? 'battery_pct';
      const from = Number(url.searchParams.get('from') ?? now - 3600_000);
      const points = Array.from({ length: 60 }, (_, i) => ({ ts: from + ((now - from) * i) / 60, value: field === 'locked' ? i % 2 === 0 : 50 + 20 * Math.sin(i / 6) }));
      return json(200, { deviceId: d.id, field, points });
    }
    if (!this.opts.noGrid && p === '/api/grid') {
      const cells = [...new Set(this.devices.map((d) => d.gridCellId))].map((id) => ({
        id,
        name: `网格 ${id}`,
        buildings: [...new Set(this.devices.filter((d) => d.gridCellId === id).map((d) => d.buildingId!))].map((b) => ({ id: b, name: b })),
      }));
      return json(200, { communities: [{ id: 'c1', name: { zh: '示范社区', en: 'Demo community' }, cells }], workers: [] });
    }
    if (!this.opts.noGrid && p === '/api/stats') {
      return json(200, { devicesTotal: this.devices.length, devicesOnline: this.devices.filter((d) => d.online).length });
    }
    return json(404, { error: 'NOT_FOUND', message: `${req.method} ${p} not found` });
  }
}
