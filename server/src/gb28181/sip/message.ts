/**
 * The RFC 3261 subset GB/T 28181 needs: requests and responses, headers kept in order with the
 * compact forms expanded, a body framed by Content-Length. parseMessage() refuses anything
 * outside the limits or not well formed with a SipParseError naming the reason.
 */

export interface SipLimits {
  /** Whole message, start line to body end. */
  maxMessageBytes: number;
  maxHeaders: number;
  maxHeaderLineBytes: number;
  maxBodyBytes: number;
}

export const DEFAULT_SIP_LIMITS: SipLimits = { maxMessageBytes: 64 * 1024, maxHeaders: 64, maxHeaderLineBytes: 4096, maxBodyBytes: 60 * 1024 };

export type SipParseReason = 'oversized' | 'bad_start_line' | 'bad_header' | 'missing_header' | 'bad_content_length' | 'bad_cseq' | 'incomplete';

export class SipParseError extends Error {
  constructor(
    readonly reason: SipParseReason,
    message: string,
  ) {
    super(message);
  }
}

export type Header = [name: string, value: string];

interface SipBase {
  /** In arrival order; names canonical (compact forms expanded), values trimmed. */
  headers: Header[];
  body: Buffer;
}
export interface SipRequest extends SipBase {
  kind: 'request';
  method: string;
  uri: string;
}
export interface SipResponse extends SipBase {
  kind: 'response';
  status: number;
  reason: string;
}
export type SipMessage = SipRequest | SipResponse;

const COMPACT: Record<string, string> = {
  v: 'Via', f: 'From', t: 'To', i: 'Call-ID', m: 'Contact', l: 'Content-Length', c: 'Content-Type', e: 'Content-Encoding', k: 'Supported', s: 'Subject', o: 'Event', u: 'Allow-Events',
};
const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID', cseq: 'CSeq', 'www-authenticate': 'WWW-Authenticate', 'content-length': 'Content-Length', 'content-type': 'Content-Type', via: 'Via', from: 'From', to: 'To',
  contact: 'Contact', expires: 'Expires', 'max-forwards': 'Max-Forwards', authorization: 'Authorization', event: 'Event', 'subscription-state': 'Subscription-State', 'user-agent': 'User-Agent',
};

function canonicalName(raw: string): string {
  const lower = raw.toLowerCase();
  if (raw.length === 1) return COMPACT[lower] ?? raw;
  return CANONICAL[lower] ?? raw;
}

// RFC 3261 §25.1 token characters.
const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const REQUEST_LINE = /^([A-Za-z0-9\-.!%*_+`'~]+) (\S+) SIP\/2\.0$/;
const STATUS_LINE = /^SIP\/2\.0 ([1-6]\d\d) ?(.*)$/;
const REQUIRED = ['Via', 'From', 'To', 'Call-ID', 'CSeq'] as const;

export function header(msg: SipMessage, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [n, v] of msg.headers) if (n.toLowerCase() === want) return v;
  return undefined;
}

export function headers(msg: SipMessage, name: string): string[] {
  const want = name.toLowerCase();
  const out: string[] = [];
  for (const [n, v] of msg.headers) if (n.toLowerCase() === want) out.push(v);
  return out;
}

/** Where the header block ends (the index after CRLFCRLF), or -1. */
export function headerEnd(buf: Buffer, from = 0): number {
  const i = buf.indexOf('\r\n\r\n', from);
  return i < 0 ? -1 : i + 4;
}

/**
 * One message from one datagram (or one framed TCP message). `stream` says Content-Length is
 * mandatory (RFC 3261 §18.3); on UDP a missing one means the rest of the datagram.
 */
export function parseMessage(buf: Buffer, limits: SipLimits = DEFAULT_SIP_LIMITS, stream = false): SipMessage {
  if (buf.length > limits.maxMessageBytes) throw new SipParseError('oversized', `message of ${buf.length} bytes is over ${limits.maxMessageBytes}`);
  const end = headerEnd(buf);
  if (end < 0) throw new SipParseError('incomplete', 'no blank line after the headers');
  const head = buf.subarray(0, end - 4).toString('latin1');
  const lines = unfold(head.split('\r\n'));
  const start = lines.shift() ?? '';
  if (start.length > limits.maxHeaderLineBytes) throw new SipParseError('oversized', 'start line too long');
  if (lines.length > limits.maxHeaders) throw new SipParseError('oversized', `more than ${limits.maxHeaders} headers`);
  const hs: Header[] = [];
  for (const line of lines) {
    if (line.length > limits.maxHeaderLineBytes) throw new SipParseError('oversized', 'header line too long');
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipParseError('bad_header', `header line without a name: ${line.slice(0, 60)}`);
    const name = line.slice(0, colon).trim();
    if (!TOKEN.test(name)) throw new SipParseError('bad_header', `bad header name: ${name.slice(0, 60)}`);
    const value = line.slice(colon + 1).trim();
    // Via, Contact and friends may carry several comma-separated values; GB needs only the first.
    hs.push([canonicalName(name), Buffer.from(value, 'latin1').toString('utf8')]);
  }
  const lengthText = hs.find(([n]) => n === 'Content-Length')?.[1];
  let bodyLength = buf.length - end;
  if (lengthText !== undefined) {
    if (!/^\d{1,9}$/.test(lengthText)) throw new SipParseError('bad_content_length', `Content-Length "${lengthText.slice(0, 20)}"`);
    const n = Number(lengthText);
    if (n > buf.length - end) throw new SipParseError('bad_content_length', `Content-Length ${n} but ${buf.length - end} body bytes`);
    bodyLength = n; // §18.3: bytes past Content-Length in a datagram are discarded
  } else if (stream) throw new SipParseError('bad_content_length', 'Content-Length is required on a stream transport');
  if (bodyLength > limits.maxBodyBytes) throw new SipParseError('oversized', `body of ${bodyLength} bytes is over ${limits.maxBodyBytes}`);
  const body = Buffer.from(buf.subarray(end, end + bodyLength));
  const base = { headers: hs, body };
  const req = REQUEST_LINE.exec(start);
  let msg: SipMessage;
  if (req) msg = { kind: 'request', method: req[1]!.toUpperCase(), uri: req[2]!, ...base };
  else {
    const res = STATUS_LINE.exec(start);
    if (!res) throw new SipParseError('bad_start_line', `not a SIP/2.0 request or status line: ${start.slice(0, 80)}`);
    msg = { kind: 'response', status: Number(res[1]), reason: res[2] ?? '', ...base };
  }
  for (const name of REQUIRED) if (!hs.some(([n]) => n === name)) throw new SipParseError('missing_header', `no ${name} header`);
  const cseq = parseCSeq(header(msg, 'CSeq')!);
  if (!cseq) throw new SipParseError('bad_cseq', `CSeq "${header(msg, 'CSeq')!.slice(0, 40)}"`);
  if (msg.kind === 'request' && cseq.method !== msg.method) throw new SipParseError('bad_cseq', `CSeq method ${cseq.method} is not the request's ${msg.method}`);
  if (!viaOf(msg)) throw new SipParseError('bad_header', 'Via is not SIP/2.0/UDP|TCP host');
  return msg;
}

/** Header continuation lines (leading whitespace) join the line before. */
function unfold(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && out.length > 1) out[out.length - 1] += ' ' + line.trim();
    else out.push(line);
  }
  return out;
}

export function serialize(msg: SipMessage): Buffer {
  const start = msg.kind === 'request' ? `${msg.method} ${msg.uri} SIP/2.0` : `SIP/2.0 ${msg.status} ${msg.reason}`;
  const lines = [start];
  for (const [n, v] of msg.headers) if (n !== 'Content-Length') lines.push(`${n}: ${v}`);
  lines.push(`Content-Length: ${msg.body.length}`, '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'utf8'), msg.body]);
}

export function parseCSeq(value: string): { seq: number; method: string } | undefined {
  const m = /^(\d{1,10})\s+([A-Za-z]+)$/.exec(value.trim());
  if (!m || Number(m[1]) > 2 ** 31 - 1) return undefined;
  return { seq: Number(m[1]), method: m[2]!.toUpperCase() };
}

export interface Via {
  transport: 'UDP' | 'TCP';
  host: string;
  port: number | undefined;
  params: Map<string, string>;
}

/** The topmost Via. */
export function viaOf(msg: SipMessage): Via | undefined {
  const raw = header(msg, 'Via');
  if (!raw) return undefined;
  const first = raw.split(',')[0]!.trim();
  const m = /^SIP\s*\/\s*2\.0\s*\/\s*(UDP|TCP)\s+(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\s*((?:;.*)?)$/i.exec(first);
  if (!m) return undefined;
  return { transport: m[1]!.toUpperCase() as 'UDP' | 'TCP', host: m[2]!, port: m[3] ? Number(m[3]) : undefined, params: parseParams(m[4] ?? '') };
}

export function parseParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of text.split(';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) params.set(p.toLowerCase(), '');
    else params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"|"$/g, ''));
  }
  return params;
}

/** The user part and host of a name-addr or addr-spec (`"x" <sip:user@host:port>;tag=1`). */
export function parseNameAddr(value: string): { user: string | undefined; host: string; port: number | undefined; uri: string; params: Map<string, string> } | undefined {
  const angle = /<([^>]*)>(.*)$/.exec(value);
  const uri = angle ? angle[1]!.trim() : value.split(';')[0]!.trim();
  const rest = angle ? angle[2]! : value.slice(uri.length);
  const u = parseSipUri(uri);
  if (!u) return undefined;
  return { ...u, uri, params: parseParams(rest) };
}

export function parseSipUri(uri: string): { user: string | undefined; host: string; port: number | undefined } | undefined {
  const m = /^sips?:(?:([^@;?]+)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?(?:[;?].*)?$/i.exec(uri.trim());
  if (!m) return undefined;
  return { user: m[1] ? m[1].split(':')[0] : undefined, host: m[2]!, port: m[3] ? Number(m[3]) : undefined };
}

export function tagOf(value: string | undefined): string | undefined {
  return value ? parseNameAddr(value)?.params.get('tag') : undefined;
}

/** A response to `req` (§8.2.6): Via, From, Call-ID, CSeq copied; To gets `toTag` unless it has one. */
export function responseTo(req: SipRequest, status: number, reason: string, extra: Header[] = [], body: Buffer = Buffer.alloc(0), toTag?: string): SipResponse {
  const hs: Header[] = [];
  for (const h of req.headers) if (h[0] === 'Via') hs.push(h);
  hs.push(['From', header(req, 'From')!]);
  const to = header(req, 'To')!;
  hs.push(['To', toTag && !tagOf(to) ? `${to};tag=${toTag}` : to]);
  hs.push(['Call-ID', header(req, 'Call-ID')!], ['CSeq', header(req, 'CSeq')!], ...extra);
  return { kind: 'response', status, reason, headers: hs, body };
}
