// A local Aliyun OpenAPI endpoint (RPC style) that checks requests the way Aliyun's V3 signature
// doc describes (ACS3-HMAC-SHA256): canonical request from method, URI, sorted RFC 3986-encoded
// query, the signed headers (host, content-type, every x-acs-*) and the payload hash; then
// HMAC-SHA256 of "ACS3-HMAC-SHA256\n" + hex(sha256(canonical request)) with the AccessKey secret.
// It also refuses stale x-acs-date, reused nonces and a payload hash that does not match, then
// serves SendSms (Dysmsapi, templates rendered) and SingleCallByTts (Dyvmsapi).
import crypto from 'node:crypto';
import { listenLocal, type FakeRequest, type FakeResponse, type LocalServer } from './http-server.ts';

export interface FakeAliyunOptions {
  accessKeyId: string;
  accessKeySecret: string;
  signNames: string[];
  /** SMS templates by code, with ${var} placeholders */
  smsTemplates: Record<string, string>;
  ttsTemplates: Record<string, string>;
  calledShowNumbers: string[];
}

export interface Delivered {
  action: 'SendSms' | 'SingleCallByTts';
  phone: string;
  text: string;
  outId?: string;
  id: string;
}

const ALGORITHM = 'ACS3-HMAC-SHA256';

/** RFC 3986 percent-encoding as the V3 doc specifies: unreserved characters stay, space is %20. */
export function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export class FakeAliyun {
  server!: LocalServer;
  readonly delivered: Delivered[] = [];
  readonly refused: { code: string; message: string }[] = [];
  /** answer the next N requests with this status (platform fault) */
  failNext: { count: number; status: number; code: string } = { count: 0, status: 503, code: 'ServiceUnavailable' };
  private readonly nonces = new Set<string>();

  constructor(readonly opts: FakeAliyunOptions) {}

  /** host:port for the SDK's `endpoint` */
  get endpoint(): string {
    return `127.0.0.1:${this.server.port}`;
  }

  async start(): Promise<void> {
    this.server = await listenLocal((req) => this.handle(req));
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private handle(req: FakeRequest): FakeResponse {
    const problem = this.checkSignature(req);
    if (problem) {
      this.refused.push(problem);
      return { status: problem.code.startsWith('InvalidAccessKeyId') ? 404 : 400, json: { Code: problem.code, Message: problem.message, RequestId: rid() } };
    }
    if (this.failNext.count > 0) {
      this.failNext.count--;
      return { status: this.failNext.status, json: { Code: this.failNext.code, Message: 'try later', RequestId: rid() } };
    }
    const params = this.params(req);
    const action = req.headers['x-acs-action'];
    if (action === 'SendSms' && req.headers['x-acs-version'] === '2017-05-25') return this.sendSms(params);
    if (action === 'SingleCallByTts' && req.headers['x-acs-version'] === '2017-05-25') return this.call(params);
    return { status: 404, json: { Code: 'InvalidAction.NotFound', Message: `${String(action)} not found`, RequestId: rid() } };
  }

  /** Query and form body together, as the RPC style allows either. */
  private params(req: FakeRequest): Map<string, string> {
    const out = new Map(req.url.searchParams);
    if (String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) out.set(k, v);
    }
    return out;
  }

  private checkSignature(req: FakeRequest): { code: string; message: string } | undefined {
    const h = req.headers;
    const auth = String(h.authorization ?? '');
    const m = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) return { code: 'IncompleteSignature', message: 'Authorization header malformed' };
    const [, akId, signedHeaderList, signature] = m as unknown as [string, string, string, string];
    if (akId !== this.opts.accessKeyId) return { code: 'InvalidAccessKeyId.NotFound', message: 'Specified access key is not found.' };
    for (const required of ['x-acs-action', 'x-acs-version', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256', 'host']) {
      if (!h[required]) return { code: 'MissingParameter', message: `${required} header missing` };
    }
    const signed = signedHeaderList.split(';');
    const mustSign = Object.keys(h).filter((k) => k.startsWith('x-acs-') || k === 'host' || k === 'content-type');
    if ([...signed].sort().join(';') !== signedHeaderList) return { code: 'IncompleteSignature', message: 'SignedHeaders not sorted' };
    for (const k of mustSign) if (!signed.includes(k)) return { code: 'IncompleteSignature', message: `header ${k} not signed` };
    const date = Date.parse(String(h['x-acs-date']));
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(String(h['x-acs-date'])) || Math.abs(Date.now() - date) > 15 * 60_000) {
      return { code: 'InvalidTimeStamp.Expired', message: 'x-acs-date is not within 15 minutes' };
    }
    const nonce = String(h['x-acs-signature-nonce']);
    if (this.nonces.has(nonce)) return { code: 'SignatureNonceUsed', message: 'x-acs-signature-nonce was used before' };
    const payloadHash = crypto.createHash('sha256').update(req.body).digest('hex');
    if (h['x-acs-content-sha256'] !== payloadHash) return { code: 'IncompleteSignature', message: 'x-acs-content-sha256 does not match the body' };

    const query = [...req.url.searchParams]
      .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    const headerLines = signed.map((k) => `${k}:${String(h[k] ?? '').trim()}\n`).join('');
    const canonicalUri = req.url.pathname.split('/').map((seg) => rfc3986(decodeURIComponent(seg))).join('/') || '/';
    const canonical = [req.method, canonicalUri, query, headerLines, signedHeaderList, payloadHash].join('\n');
    const stringToSign = `${ALGORITHM}\n${crypto.createHash('sha256').update(canonical).digest('hex')}`;
    const expected = crypto.createHmac('sha256', this.opts.accessKeySecret).update(stringToSign).digest('hex');
    if (!crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) {
      return { code: 'SignatureDoesNotMatch', message: 'Specified signature does not match our calculation.' };
    }
    this.nonces.add(nonce);
    return undefined;
  }

  private sendSms(p: Map<string, string>): FakeResponse {
    const phones = p.get('PhoneNumbers') ?? '';
    if (!phones) return answer('MissingPhoneNumbers', 'PhoneNumbers is mandatory');
    const sign = p.get('SignName');
    if (!sign || !this.opts.signNames.includes(sign)) return answer('isv.SMS_SIGNATURE_ILLEGAL', 'SignName not approved');
    const template = this.opts.smsTemplates[p.get('TemplateCode') ?? ''];
    if (!template) return answer('isv.SMS_TEMPLATE_ILLEGAL', 'TemplateCode not approved');
    const rendered = render(template, p.get('TemplateParam'));
    if (typeof rendered !== 'string') return answer('isv.TEMPLATE_PARAMS_ILLEGAL', rendered.error);
    const bizId = `${crypto.randomInt(1e9)}^0`;
    for (const phone of phones.split(',')) {
      if (!/^(1\d{10}|00\d{6,16})$/.test(phone)) return answer('isv.MOBILE_NUMBER_ILLEGAL', `invalid number ${phone}`);
      this.delivered.push({ action: 'SendSms', phone, text: `【${sign}】${rendered}`, id: bizId, ...(p.has('OutId') ? { outId: p.get('OutId')! } : {}) });
    }
    return { json: { Code: 'OK', Message: 'OK', BizId: bizId, RequestId: rid() } };
  }

  private call(p: Map<string, string>): FakeResponse {
    const called = p.get('CalledNumber') ?? '';
    if (!/^1\d{10}$/.test(called)) return answer('isv.MOBILE_NUMBER_ILLEGAL', 'CalledNumber invalid');
    if (!this.opts.calledShowNumbers.includes(p.get('CalledShowNumber') ?? '')) return answer('isv.DISPLAY_NUMBER_ILLEGAL', 'CalledShowNumber not yours');
    const template = this.opts.ttsTemplates[p.get('TtsCode') ?? ''];
    if (!template) return answer('isv.TTS_TEMPLATE_ILLEGAL', 'TtsCode not approved');
    const rendered = render(template, p.get('TtsParam'));
    if (typeof rendered !== 'string') return answer('isv.TEMPLATE_PARAMS_ILLEGAL', rendered.error);
    const playTimes = Number(p.get('PlayTimes') ?? '3');
    if (!Number.isInteger(playTimes) || playTimes < 1 || playTimes > 3) return answer('isv.INVALID_PARAMETERS', 'PlayTimes 1..3');
    const callId = `${crypto.randomInt(1e9)}^${crypto.randomInt(1e9)}`;
    this.delivered.push({ action: 'SingleCallByTts', phone: called, text: rendered, id: callId, ...(p.has('OutId') ? { outId: p.get('OutId')! } : {}) });
    return { json: { Code: 'OK', Message: 'OK', CallId: callId, RequestId: rid() } };
  }
}

function answer(code: string, message: string): FakeResponse {
  return { json: { Code: code, Message: message, RequestId: rid() } };
}

function rid(): string {
  return crypto.randomUUID().toUpperCase();
}

/** Fills ${var}s from the JSON params; every variable must be given, and nothing else. */
function render(template: string, json: string | undefined): string | { error: string } {
  let params: Record<string, unknown>;
  try {
    params = JSON.parse(json ?? '{}') as Record<string, unknown>;
  } catch {
    return { error: 'TemplateParam is not JSON' };
  }
  const vars = [...template.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!);
  for (const v of vars) if (typeof params[v] !== 'string' || !params[v]) return { error: `variable ${v} missing` };
  for (const k of Object.keys(params)) if (!vars.includes(k)) return { error: `variable ${k} not in the template` };
  return template.replace(/\$\{(\w+)\}/g, (_, v: string) => String(params[v]));
}
