// A local WeCom (企业微信) server speaking the documented server API: gettoken with expiring
// tokens (40014 invalid / 42001 expired), message/send (template_card button_interaction and
// text, checked field by field), update_template_card with single-use response codes, the
// per-member limit of 30 messages a minute (WeCom drops the excess: counted here), and the
// callback side: URL verification and encrypted, signed template_card_event callbacks made
// with @wecom/crypto exactly as WeCom sends them.
import crypto from 'node:crypto';
import { encrypt, decrypt, getSignature } from '@wecom/crypto';
import { jsonBody, listenLocal, type FakeRequest, type FakeResponse, type LocalServer } from './http-server.ts';

export interface FakeWeComOptions {
  corpId: string;
  corpSecret: string;
  agentId: number;
  token: string;
  encodingAesKey: string;
  users: string[];
  clock: () => number;
  expiresInS?: number;
  perMemberPerMinute?: number;
}

export interface SentMessage {
  touser: string;
  msgtype: string;
  body: Record<string, unknown>;
  msgid: string;
  responseCode?: string;
  at: number;
}

const TASK_ID = /^[A-Za-z0-9_\-@]{1,128}$/;

export class FakeWeCom {
  server!: LocalServer;
  readonly sent: SentMessage[] = [];
  readonly updates: Record<string, unknown>[] = [];
  /** messages WeCom would have silently discarded for exceeding the per-member limit */
  readonly dropped: SentMessage[] = [];
  readonly calls: string[] = [];
  tokensIssued = 0;
  /** answer the next N message/send calls with this status (provider down) */
  failNext: { count: number; status: number } = { count: 0, status: 503 };
  private readonly tokens = new Map<string, number>();
  private readonly taskIds = new Set<string>();
  private readonly responseCodes = new Map<string, { userid: string; used: boolean; until: number }>();
  private readonly perMember = new Map<string, number[]>();

  constructor(readonly opts: FakeWeComOptions) {}

  get url(): string {
    return this.server.url;
  }

  async start(): Promise<void> {
    this.server = await listenLocal((req) => this.handle(req));
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** Forget every token, as if WeCom revoked them (the next call gets 40014). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  private handle(req: FakeRequest): FakeResponse {
    this.calls.push(`${req.method} ${req.url.pathname}`);
    const path = req.url.pathname;
    if (path === '/cgi-bin/gettoken' && req.method === 'GET') return this.getToken(req);
    if (req.method !== 'POST') return { status: 405, text: 'method not allowed' };
    const tokenErr = this.checkToken(req);
    if (tokenErr) return tokenErr;
    const body = jsonBody(req);
    if (!body) return err(44002, 'empty post data or invalid json');
    if (body.agentid !== this.opts.agentId) return err(40056, 'invalid agentid');
    if (path === '/cgi-bin/message/send') {
      if (this.failNext.count > 0) {
        this.failNext.count--;
        return { status: this.failNext.status, text: 'service unavailable' };
      }
      return this.send(body);
    }
    if (path === '/cgi-bin/message/update_template_card') return this.update(body);
    return { status: 404, text: 'not found' };
  }

  private getToken(req: FakeRequest): FakeResponse {
    const corpid = req.url.searchParams.get('corpid');
    const secret = req.url.searchParams.get('corpsecret');
    if (corpid !== this.opts.corpId) return err(40013, 'invalid corpid');
    if (secret !== this.opts.corpSecret) return err(40001, 'invalid credential');
    const token = crypto.randomBytes(24).toString('base64url');
    const expiresIn = this.opts.expiresInS ?? 7200;
    this.tokens.set(token, this.opts.clock() + expiresIn * 1000);
    this.tokensIssued++;
    return { json: { errcode: 0, errmsg: 'ok', access_token: token, expires_in: expiresIn } };
  }

  private checkToken(req: FakeRequest): FakeResponse | undefined {
    const token = req.url.searchParams.get('access_token');
    if (!token) return err(41001, 'access_token missing');
    const until = this.tokens.get(token);
    if (until === undefined) return err(40014, 'invalid access_token');
    if (this.opts.clock() >= until) return err(42001, 'access_token expired');
    return undefined;
  }

  private send(body: Record<string, unknown>): FakeResponse {
    const touser = body.touser;
    if (typeof touser !== 'string' || !touser) return err(40031, 'invalid user list');
    const users = touser.split('|');
    const invalid = users.filter((u) => !this.opts.users.includes(u));
    const msgtype = body.msgtype;
    let responseCode: string | undefined;
    if (msgtype === 'template_card') {
      const problem = checkCard(body.template_card);
      if (problem) return err(40058, problem);
      const taskId = (body.template_card as Record<string, unknown>).task_id as string;
      if (this.taskIds.has(taskId)) return err(40058, 'task_id already used');
      this.taskIds.add(taskId);
      responseCode = crypto.randomBytes(16).toString('hex');
    } else if (msgtype === 'text') {
      const content = (body.text as Record<string, unknown> | undefined)?.content;
      if (typeof content !== 'string' || !content) return err(40058, 'text.content missing');
      if (Buffer.byteLength(content) > 2048) return err(40058, 'text.content over 2048 bytes');
    } else {
      return err(40008, 'invalid message type');
    }
    const msgid = crypto.randomBytes(8).toString('hex');
    for (const u of users.filter((x) => !invalid.includes(x))) {
      const msg: SentMessage = { touser: u, msgtype, body, msgid, at: this.opts.clock(), ...(responseCode ? { responseCode } : {}) };
      const since = this.opts.clock() - 60_000;
      const recent = (this.perMember.get(u) ?? []).filter((t) => t > since);
      recent.push(msg.at);
      this.perMember.set(u, recent);
      if (recent.length > (this.opts.perMemberPerMinute ?? 30)) this.dropped.push(msg);
      else this.sent.push(msg);
      if (responseCode) this.responseCodes.set(responseCode, { userid: u, used: false, until: this.opts.clock() + 72 * 3600_000 });
    }
    return { json: { errcode: 0, errmsg: 'ok', invaliduser: invalid.join('|'), msgid, ...(responseCode ? { response_code: responseCode } : {}) } };
  }

  private update(body: Record<string, unknown>): FakeResponse {
    const code = body.response_code;
    if (typeof code !== 'string') return err(40058, 'response_code missing');
    const entry = this.responseCodes.get(code);
    if (!entry || entry.used || this.opts.clock() > entry.until) return err(40058, 'invalid response_code');
    const userids = body.userids;
    if (!Array.isArray(userids) || !userids.includes(entry.userid)) return err(40031, 'invalid userids');
    const button = body.button as Record<string, unknown> | undefined;
    if (!body.template_card && (typeof button?.replace_name !== 'string' || !button.replace_name)) return err(40058, 'button.replace_name or template_card required');
    entry.used = true;
    this.updates.push(body);
    return { json: { errcode: 0, errmsg: 'ok', invaliduser: [] } };
  }

  /** A response code WeCom would put in the callback when `userid` presses the button of `sent`. */
  private callbackResponseCode(sent: SentMessage): string {
    const code = crypto.randomBytes(16).toString('hex');
    this.responseCodes.set(code, { userid: sent.touser, used: false, until: this.opts.clock() + 72 * 3600_000 });
    return code;
  }

  /** The member taps the card's button: WeCom POSTs an encrypted template_card_event to the callback URL. */
  async pressButton(callbackUrl: string, sent: SentMessage, opts: { tamper?: boolean } = {}): Promise<Response> {
    const card = sent.body.template_card as Record<string, unknown>;
    const button = (card.button_list as Record<string, unknown>[])[0]!;
    const xml =
      `<xml><ToUserName><![CDATA[${this.opts.corpId}]]></ToUserName><FromUserName><![CDATA[${sent.touser}]]></FromUserName>` +
      `<CreateTime>${Math.floor(this.opts.clock() / 1000)}</CreateTime><MsgType><![CDATA[event]]></MsgType>` +
      `<Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[${String(button.key)}]]></EventKey>` +
      `<TaskId><![CDATA[${String(card.task_id)}]]></TaskId><CardType><![CDATA[button_interaction]]></CardType>` +
      `<ResponseCode><![CDATA[${this.callbackResponseCode(sent)}]]></ResponseCode><AgentID>${this.opts.agentId}</AgentID></xml>`;
    return this.postEncrypted(callbackUrl, xml, opts);
  }

  /** POSTs `xml` to the callback URL the way WeCom does: Encrypt envelope, msg_signature over it. */
  async postEncrypted(callbackUrl: string, xml: string, opts: { tamper?: boolean; timestamp?: number } = {}): Promise<Response> {
    const ciphered = encrypt(this.opts.encodingAesKey, xml, this.opts.corpId);
    const timestamp = String(opts.timestamp ?? Math.floor(this.opts.clock() / 1000));
    const nonce = String(crypto.randomInt(1e9));
    let signature = getSignature(this.opts.token, timestamp, nonce, ciphered);
    if (opts.tamper) signature = signature.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    const envelope = `<xml><ToUserName><![CDATA[${this.opts.corpId}]]></ToUserName><AgentID><![CDATA[${this.opts.agentId}]]></AgentID><Encrypt><![CDATA[${ciphered}]]></Encrypt></xml>`;
    const q = new URLSearchParams({ msg_signature: signature, timestamp, nonce });
    this.last = { url: `${callbackUrl}?${q}`, body: envelope };
    return fetch(this.last.url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: envelope });
  }

  private last: { url: string; body: string } | undefined;

  /** WeCom sends a callback again when it got no answer within 5 s: the very same request. */
  replayLast(): Promise<Response> {
    if (!this.last) throw new Error('nothing to replay');
    return fetch(this.last.url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: this.last.body });
  }

  /** What WeCom does when an admin saves the callback URL: GET with an encrypted echostr; the answer must be its plaintext. */
  async verifyUrl(callbackUrl: string): Promise<{ ok: boolean; status: number; body: string }> {
    const plain = String(crypto.randomInt(1e12));
    const echostr = encrypt(this.opts.encodingAesKey, plain, this.opts.corpId);
    const timestamp = String(Math.floor(this.opts.clock() / 1000));
    const nonce = String(crypto.randomInt(1e9));
    const q = new URLSearchParams({ msg_signature: getSignature(this.opts.token, timestamp, nonce, echostr), timestamp, nonce, echostr });
    const res = await fetch(`${callbackUrl}?${q}`);
    const body = await res.text();
    return { ok: res.status === 200 && body === plain, status: res.status, body };
  }

  /** For tests of the envelope itself. */
  decrypt(ciphered: string): string {
    return decrypt(this.opts.encodingAesKey, ciphered).message;
  }
}

function err(errcode: number, errmsg: string): FakeResponse {
  return { json: { errcode, errmsg } };
}

/** The documented required fields of a button_interaction template card. */
function checkCard(card: unknown): string | undefined {
  if (typeof card !== 'object' || card === null) return 'template_card missing';
  const c = card as Record<string, unknown>;
  if (c.card_type === 'text_notice') return checkTextNotice(c);
  if (c.card_type !== 'button_interaction') return `card_type ${String(c.card_type)} not expected`;
  const main = c.main_title as Record<string, unknown> | undefined;
  if (!main || (typeof main.title !== 'string' && typeof main.desc !== 'string')) return 'main_title.title or main_title.desc required';
  if (typeof c.task_id !== 'string' || !TASK_ID.test(c.task_id)) return 'task_id invalid';
  const buttons = c.button_list;
  if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 6) return 'button_list must have 1 to 6 buttons';
  for (const b of buttons as Record<string, unknown>[]) {
    if (typeof b.text !== 'string' || !b.text) return 'button.text required';
    if (typeof b.key !== 'string' || !b.key || Buffer.byteLength(b.key) > 1024) return 'button.key required, at most 1024 bytes';
  }
  const list = c.horizontal_content_list;
  if (list !== undefined && (!Array.isArray(list) || list.length > 6)) return 'horizontal_content_list at most 6 items';
  const action = c.card_action as Record<string, unknown> | undefined;
  if (action && action.type === 1 && (typeof action.url !== 'string' || !/^https?:\/\//.test(action.url))) return 'card_action.url required for type 1';
  return undefined;
}

/** 文本通知型 (text_notice): a title, at most 6 key/value lines, and the card_action it opens (required). */
function checkTextNotice(c: Record<string, unknown>): string | undefined {
  const main = c.main_title as Record<string, unknown> | undefined;
  if (!main || (typeof main.title !== 'string' && typeof main.desc !== 'string')) return 'main_title.title or main_title.desc required';
  if (c.task_id !== undefined && (typeof c.task_id !== 'string' || !TASK_ID.test(c.task_id))) return 'task_id invalid';
  const list = c.horizontal_content_list;
  if (list !== undefined && (!Array.isArray(list) || list.length > 6)) return 'horizontal_content_list at most 6 items';
  for (const l of (list ?? []) as Record<string, unknown>[]) if (typeof l.keyname !== 'string' || !l.keyname) return 'horizontal_content_list.keyname required';
  const action = c.card_action as Record<string, unknown> | undefined;
  if (!action || action.type !== 1 || typeof action.url !== 'string' || !/^https?:\/\//.test(action.url)) return 'card_action with type 1 and url required for text_notice';
  return undefined;
}
