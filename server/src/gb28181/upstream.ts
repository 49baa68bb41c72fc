import type { Logger } from '../log.ts';
import type { GbConfig, GbUpstreamConfig } from './config.ts';
import { authorize } from './digest.ts';
import type { GbChannel } from './platform.ts';
import { SipEndpoint, type IncomingRequest, type Peer } from './sip/endpoint.ts';
import { header, parseNameAddr, type Header, type SipRequest, type SipResponse } from './sip/message.ts';
import { realScheduler, type Scheduler } from './sip/transaction.ts';
import { buildManscdp, parseManscdp, type XmlFields } from './xml.ts';

export interface GbUpstreamOptions {
  config: GbUpstreamConfig;
  self: Pick<GbConfig, 'sipId' | 'domain' | 'charset'>;
  /** The hub's own SIP endpoint (one port, one identity, both sides). */
  endpoint: SipEndpoint;
  log: Logger;
  /** The channels the hub has, for the higher platform's catalog query. */
  channels: () => GbChannel[];
  scheduler?: Scheduler;
  /** Wait before trying again after a failed registration. */
  retryMs?: number;
  /** Channels per catalog MESSAGE. */
  catalogBatch?: number;
}

/**
 * The hub as a lower platform (级联): registers to the higher platform with Digest, re-registers
 * at half the granted expiry, keeps alive, answers its catalog query with every channel the hub
 * has, and forwards each alarm notification upward as it came.
 */
export class GbUpstream {
  registered = false;
  forwarded = 0;
  forwardFailed = 0;
  private timer: unknown;
  private keepaliveTimer: unknown;
  private running = false;
  private readonly scheduler: Scheduler;
  private readonly callId = `${SipEndpoint.tag()}@hub`;
  private readonly tag = SipEndpoint.tag();
  private cseq = 1;
  private sn = 0;

  constructor(private readonly o: GbUpstreamOptions) {
    this.scheduler = o.scheduler ?? realScheduler;
  }

  private get peer(): Peer {
    return { transport: this.o.config.transport, host: this.o.config.host, port: this.o.config.port };
  }

  private get uri(): string {
    return `sip:${this.o.config.sipId}@${this.o.config.domain}`;
  }

  start(): void {
    this.running = true;
    this.at(0, () => this.register());
  }

  async stop(): Promise<void> {
    this.running = false;
    this.scheduler.clear(this.timer);
    this.scheduler.clear(this.keepaliveTimer);
    if (this.registered) {
      this.registered = false;
      // Best effort: a higher platform that is gone must not hold up the hub's stop.
      await Promise.race([this.send(0).catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    }
  }

  private at(ms: number, fn: () => Promise<void> | void): void {
    this.scheduler.clear(this.timer);
    if (!this.running) return;
    this.timer = this.scheduler.set(() => void fn(), ms);
  }

  private request(method: string, body: Buffer, extra: Header[], callId = `${SipEndpoint.tag()}@hub`): SipRequest {
    const { sipId, domain } = this.o.self;
    return {
      kind: 'request',
      method,
      uri: this.uri,
      headers: [
        ['From', `<sip:${sipId}@${domain}>;tag=${this.tag}`],
        ['To', `<sip:${method === 'REGISTER' ? sipId : this.o.config.sipId}@${method === 'REGISTER' ? domain : this.o.config.domain}>`],
        ['Call-ID', callId],
        ['CSeq', `${this.cseq++} ${method}`],
        ['User-Agent', 'community-safety-hub'],
        ...extra,
      ],
      body,
    };
  }

  private async send(expiresS: number): Promise<SipResponse> {
    const e = this.o.endpoint;
    const extra: Header[] = [['Contact', `<sip:${this.o.self.sipId}@${e.host}:${e.port}>`], ['Expires', String(expiresS)]];
    let res = await e.request(this.request('REGISTER', Buffer.alloc(0), extra, this.callId), this.peer);
    const challenge = res.status === 401 ? header(res, 'WWW-Authenticate') : undefined;
    if (challenge && this.o.config.password !== undefined) {
      const auth = authorize(challenge, 'REGISTER', this.uri, this.o.self.sipId, this.o.config.password);
      if (auth) res = await e.request(this.request('REGISTER', Buffer.alloc(0), [...extra, ['Authorization', auth]], this.callId), this.peer);
    }
    return res;
  }

  private async register(): Promise<void> {
    const retry = this.o.retryMs ?? 10_000;
    try {
      const res = await this.send(this.o.config.expiresS);
      if (!this.running) return;
      if (res.status !== 200) {
        this.registered = false;
        this.o.log.warn({ status: res.status, upstream: this.uri }, 'the higher GB/T 28181 platform refused the registration');
        return this.at(retry, () => this.register());
      }
      const granted = Number(header(res, 'Expires') ?? this.o.config.expiresS) || this.o.config.expiresS;
      if (!this.registered) this.o.log.info({ upstream: this.uri, expires: granted }, 'registered to the higher GB/T 28181 platform');
      this.registered = true;
      this.startKeepalive();
      this.at((granted * 1000) / 2, () => this.register());
    } catch (err) {
      this.registered = false;
      this.o.log.warn({ err: (err as Error).message, upstream: this.uri }, 'registration to the higher GB/T 28181 platform failed');
      this.at(retry, () => this.register());
    }
  }

  private startKeepalive(): void {
    if (this.keepaliveTimer !== undefined) return;
    const tick = () => {
      if (!this.running) return;
      this.keepaliveTimer = this.scheduler.set(tick, this.o.config.keepaliveIntervalS * 1000);
      if (!this.registered) return;
      const body = buildManscdp('Notify', [['CmdType', 'Keepalive'], ['SN', ++this.sn], ['DeviceID', this.o.self.sipId], ['Status', 'OK']], this.o.self.charset);
      void this.message(body).then(
        (res) => {
          // A higher platform that forgot us (restarted) answers 403/404: register again.
          if (res.status >= 400 && this.registered) {
            this.registered = false;
            this.at(0, () => this.register());
          }
        },
        () => {},
      );
    };
    this.keepaliveTimer = this.scheduler.set(tick, this.o.config.keepaliveIntervalS * 1000);
  }

  private message(body: Buffer): Promise<SipResponse> {
    return this.o.endpoint.request(this.request('MESSAGE', body, [['Content-Type', 'Application/MANSCDP+xml']]), this.peer);
  }

  /** An alarm body as a device sent it, passed on to the higher platform. */
  forwardAlarm(body: Buffer): void {
    if (!this.registered) {
      this.forwardFailed++;
      return;
    }
    void this.message(body).then(
      (res) => (res.status === 200 ? this.forwarded++ : this.forwardFailed++),
      () => this.forwardFailed++,
    );
  }

  /** The higher platform's own requests (catalog query); true when the request was its. */
  handle(incoming: IncomingRequest): boolean {
    const { req } = incoming;
    const from = parseNameAddr(header(req, 'From') ?? '')?.user;
    if (from !== this.o.config.sipId || incoming.from.host !== this.o.config.host) return false;
    if (req.method !== 'MESSAGE') {
      incoming.reply(req.method === 'OPTIONS' ? 200 : 405, req.method === 'OPTIONS' ? 'OK' : 'Method Not Allowed');
      return true;
    }
    let m;
    try {
      m = parseManscdp(req.body, header(req, 'Content-Type'));
    } catch (err) {
      incoming.reply(400, `Bad Request: ${(err as Error).message.slice(0, 100)}`);
      return true;
    }
    incoming.reply(200, 'OK');
    if (m.root === 'Query' && m.cmdType === 'Catalog') void this.answerCatalog(m.sn);
    return true;
  }

  private async answerCatalog(sn: string): Promise<void> {
    const channels = this.o.channels();
    const batch = this.o.catalogBatch ?? 20;
    for (let i = 0; i < Math.max(channels.length, 1); i += batch) {
      const part = channels.slice(i, i + batch);
      const items = part.map((c): [string, XmlFields] => [
        'Item',
        [['DeviceID', c.id], ['Name', c.name ?? c.id], ['Manufacturer', c.manufacturer ?? ''], ['Model', c.model ?? ''], ['ParentID', this.o.self.sipId], ['Status', c.status ?? 'ON']],
      ]);
      const body = buildManscdp('Response', [['CmdType', 'Catalog'], ['SN', sn], ['DeviceID', this.o.self.sipId], ['SumNum', channels.length], ['DeviceList', items]], this.o.self.charset, { DeviceList: part.length });
      const res = await this.message(body).catch(() => undefined);
      if (res?.status !== 200) return;
    }
  }
}
