// A local DingTalk (钉钉) server: the OAuth2 app token (POST /v1.0/oauth2/accessToken, expiring),
// work notifications (asyncsend_v2, action_card checked field by field, identical content to one
// person on one day dropped as DingTalk does), getsendresult, and the Stream-mode gateway
// (POST /v1.0/gateway/connections/open → a WebSocket endpoint with a single-use ticket) that
// pushes CALLBACK/EVENT frames and waits for the client's answer frames.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { jsonBody, listenLocal, type FakeRequest, type FakeResponse, type LocalServer } from './http-server.ts';

export interface FakeDingTalkOptions {
  appKey: string;
  appSecret: string;
  agentId: number;
  users: string[];
  clock: () => number;
  expiresInS?: number;
}

export interface Notification {
  userid: string;
  msg: Record<string, any>;
  taskId: number;
}

export class FakeDingTalk {
  server!: LocalServer;
  readonly notifications: Notification[] = [];
  /** notifications DingTalk would not show (same content to the same person today) */
  readonly deduped: Notification[] = [];
  tokensIssued = 0;
  failNext: { count: number; status: number } = { count: 0, status: 503 };
  /** answers the client sent to pushed frames, by messageId */
  readonly answers = new Map<string, Record<string, unknown>>();
  subscriptions: unknown[] = [];
  private readonly tokens = new Map<string, number>();
  private readonly tasks = new Map<number, { invalid: string[]; sent: string[] }>();
  private readonly seenContent = new Set<string>();
  private readonly tickets = new Set<string>();
  private ws?: { http: http.Server; wss: WebSocketServer; port: number };
  private socket?: WebSocket;
  private readonly waiting = new Map<string, (v: Record<string, unknown>) => void>();

  constructor(readonly opts: FakeDingTalkOptions) {}

  get url(): string {
    return this.server.url;
  }

  async start(): Promise<void> {
    this.server = await listenLocal((req) => this.handle(req));
    const server = http.createServer();
    const wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const ticket = url.searchParams.get('ticket') ?? '';
      if (url.pathname !== '/connect' || !this.tickets.delete(ticket)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.ws = { http: server, wss, port: (server.address() as AddressInfo).port };
  }

  async close(): Promise<void> {
    for (const c of this.ws?.wss.clients ?? []) c.terminate();
    this.ws?.wss.close();
    if (this.ws) {
      this.ws.http.closeAllConnections();
      await new Promise<void>((r) => this.ws!.http.close(() => r()));
    }
    await this.server.close();
  }

  revokeTokens(): void {
    this.tokens.clear();
  }

  get connected(): boolean {
    return this.socket !== undefined && this.socket.readyState === this.socket.OPEN;
  }

  private handle(req: FakeRequest): FakeResponse {
    const path = req.url.pathname;
    if (req.method !== 'POST') return { status: 405, json: { code: 'MethodNotAllowed', message: 'POST only' } };
    if (path === '/v1.0/oauth2/accessToken') return this.accessToken(req);
    if (path === '/v1.0/gateway/connections/open') return this.openConnection(req);
    const token = req.url.searchParams.get('access_token') ?? '';
    const until = this.tokens.get(token);
    if (until === undefined) return err(40014, '不合法的access_token');
    if (this.opts.clock() >= until) return err(42001, 'access_token已过期');
    const body = jsonBody(req);
    if (!body) return err(40035, '缺少参数 json');
    if (body.agent_id !== this.opts.agentId) return err(40035, 'agent_id invalid');
    if (path === '/topapi/message/corpconversation/asyncsend_v2') {
      if (this.failNext.count > 0) {
        this.failNext.count--;
        return { status: this.failNext.status, text: 'busy' };
      }
      return this.asyncSend(body);
    }
    if (path === '/topapi/message/corpconversation/getsendresult') {
      const task = this.tasks.get(Number(body.task_id));
      if (!task) return err(40035, 'task_id invalid');
      return { json: { errcode: 0, errmsg: 'ok', send_result: { invalid_user_id_list: task.invalid, forbidden_user_id_list: [], failed_user_id_list: [], read_user_id_list: [], unread_user_id_list: task.sent } } };
    }
    return { status: 404, json: { code: 'NotFound', message: path } };
  }

  private accessToken(req: FakeRequest): FakeResponse {
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return { status: 400, json: { code: 'MissingParameter', message: 'JSON body expected' } };
    const body = jsonBody(req);
    if (body?.appKey !== this.opts.appKey || body?.appSecret !== this.opts.appSecret) return { status: 400, json: { code: 'invalidClientIdOrSecret', message: '无效的clientId或者clientSecret' } };
    const token = crypto.randomBytes(16).toString('hex');
    const expireIn = this.opts.expiresInS ?? 7200;
    this.tokens.set(token, this.opts.clock() + expireIn * 1000);
    this.tokensIssued++;
    return { json: { accessToken: token, expireIn } };
  }

  private asyncSend(body: Record<string, unknown>): FakeResponse {
    const list = typeof body.userid_list === 'string' ? body.userid_list.split(',').filter(Boolean) : [];
    if (list.length === 0 || list.length > 100) return err(40035, 'userid_list must name 1 to 100 users');
    const msg = body.msg as Record<string, any> | undefined;
    const problem = checkMsg(msg);
    if (problem) return err(40035, problem);
    const taskId = crypto.randomInt(1e12);
    const invalid = list.filter((u) => !this.opts.users.includes(u));
    const sent = list.filter((u) => this.opts.users.includes(u));
    const day = new Date(this.opts.clock()).toISOString().slice(0, 10);
    for (const userid of sent) {
      const n = { userid, msg: msg!, taskId };
      const contentKey = `${day}|${userid}|${JSON.stringify(msg)}`;
      if (this.seenContent.has(contentKey)) this.deduped.push(n);
      else this.notifications.push(n);
      this.seenContent.add(contentKey);
    }
    this.tasks.set(taskId, { invalid, sent });
    return { json: { errcode: 0, errmsg: 'ok', task_id: taskId, request_id: crypto.randomUUID() } };
  }

  private openConnection(req: FakeRequest): FakeResponse {
    const body = jsonBody(req);
    if (body?.clientId !== this.opts.appKey || body?.clientSecret !== this.opts.appSecret) return { status: 401, json: { code: 'invalidClientIdOrSecret', message: 'bad client' } };
    if (!Array.isArray(body.subscriptions) || body.subscriptions.length === 0) return { status: 400, json: { code: 'MissingParameter', message: 'subscriptions required' } };
    this.subscriptions = body.subscriptions;
    const ticket = crypto.randomBytes(16).toString('hex');
    this.tickets.add(ticket);
    return { json: { endpoint: `ws://127.0.0.1:${this.ws!.port}/connect`, ticket } };
  }

  private onSocket(ws: WebSocket): void {
    this.socket = ws;
    ws.on('message', (raw) => {
      let frame: Record<string, any>;
      try {
        frame = JSON.parse(raw.toString()) as Record<string, any>;
      } catch {
        return;
      }
      const id = frame.headers?.messageId as string | undefined;
      if (!id || frame.code !== 200) return;
      this.answers.set(id, frame);
      this.waiting.get(id)?.(frame);
    });
  }

  /** Pushes one frame (CALLBACK for card actions, EVENT for event subscriptions) and waits for the client's answer. */
  push(type: 'CALLBACK' | 'EVENT', topic: string, data: unknown, timeoutMs = 5000): Promise<Record<string, unknown>> {
    if (!this.socket) throw new Error('no stream client connected');
    const messageId = crypto.randomUUID();
    const frame = {
      specVersion: '1.0',
      type,
      headers: { appId: this.opts.appKey, connectionId: 'c1', contentType: 'application/json', messageId, time: String(this.opts.clock()), topic },
      data: JSON.stringify(data),
    };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${messageId}`)), timeoutMs);
      this.waiting.set(messageId, (v) => {
        clearTimeout(timer);
        resolve(v);
      });
      this.socket!.send(JSON.stringify(frame));
    });
  }
}

function err(errcode: number, errmsg: string): FakeResponse {
  return { json: { errcode, errmsg, request_id: crypto.randomUUID() } };
}

/** The documented action_card shape: title + markdown, then a single button or a button list. */
function checkMsg(msg: Record<string, any> | undefined): string | undefined {
  if (!msg || typeof msg !== 'object') return 'msg required';
  if (msg.msgtype !== 'action_card') return `msgtype ${String(msg.msgtype)} not expected`;
  const card = msg.action_card as Record<string, any> | undefined;
  if (!card) return 'action_card required';
  if (typeof card.title !== 'string' || !card.title) return 'action_card.title required';
  if (typeof card.markdown !== 'string' || !card.markdown) return 'action_card.markdown required';
  if (card.single_title !== undefined) return typeof card.single_url === 'string' ? undefined : 'single_url required with single_title';
  if (!['0', '1'].includes(card.btn_orientation)) return 'btn_orientation must be "0" or "1"';
  const list = card.btn_json_list;
  if (!Array.isArray(list) || list.length === 0) return 'btn_json_list required';
  for (const b of list as Record<string, unknown>[]) {
    if (typeof b.title !== 'string' || !b.title) return 'btn title required';
    if (typeof b.action_url !== 'string' || !/^(https?|dingtalk):\/\//.test(b.action_url)) return 'btn action_url must be a link';
  }
  return undefined;
}
