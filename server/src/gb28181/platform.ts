import type { Logger } from '../log.ts';
import { AlarmBodyError, formatGbTime, parseAlarm, type GbAlarm } from './alarms.ts';
import type { GbConfig } from './config.ts';
import { DigestAuthority, parseDigest } from './digest.ts';
import type { GbRejectReason } from './rejects.ts';
import { SipEndpoint, SipTimeoutError, type IncomingRequest, type Peer } from './sip/endpoint.ts';
import { header, parseNameAddr, type Header, type SipLimits, type SipRequest, type SipResponse } from './sip/message.ts';
import { realScheduler, type Scheduler, type SipTimers } from './sip/transaction.ts';
import { buildManscdp, listOf, parseManscdp, textOf, XmlBodyError, type Manscdp, type XmlFields } from './xml.ts';

export interface GbChannel {
  id: string;
  name?: string;
  manufacturer?: string;
  model?: string;
  /** ON or OFF as the catalog says; undefined when it says nothing. */
  status?: 'ON' | 'OFF';
  parentId?: string;
  longitude?: number;
  latitude?: number;
}

export interface GbDevice {
  id: string;
  peer: Peer;
  registeredAt: number;
  expiresAt: number;
  lastSeenAt: number;
  online: boolean;
  channels: Map<string, GbChannel>;
}

export type OfflineCause = 'keepalive' | 'expired' | 'unregistered';

export interface GbPlatformEvents {
  registered?(dev: GbDevice, refresh: boolean): void;
  online?(dev: GbDevice): void;
  offline?(dev: GbDevice, cause: OfflineCause): void;
  keepalive?(dev: GbDevice): void;
  catalog?(dev: GbDevice, channels: GbChannel[]): void;
  alarm?(dev: GbDevice, alarm: GbAlarm, body: Buffer): void;
  reject?(reason: GbRejectReason, from: Peer, detail: string, bytes: Buffer): void;
  /** Looked at first: a request it takes (true) is its own to answer (the upstream side). */
  request?(incoming: IncomingRequest): boolean;
}

export interface GbPlatformOptions {
  config: Pick<GbConfig, 'sipId' | 'domain' | 'realm' | 'password' | 'host' | 'port' | 'keepaliveIntervalS' | 'keepaliveMissed' | 'minExpiresS' | 'maxExpiresS' | 'charset' | 'devices' | 'maxChannelsPerDevice'>;
  log: Logger;
  events?: GbPlatformEvents;
  scheduler?: Scheduler;
  timers?: SipTimers;
  limits?: SipLimits;
  /** How often silent devices are looked for. */
  sweepMs?: number;
  /** How long a catalog or control answer is waited for. */
  answerTimeoutMs?: number;
}

const MANSCDP = 'Application/MANSCDP+xml';

interface Pending {
  resolve: (m: Manscdp | undefined) => void;
  timer: unknown;
  /** Catalog: items so far, until SumNum. */
  items?: Map<string, GbChannel>;
  sumNum?: number;
}

/**
 * The device-facing side of a GB/T 28181 platform (2016 edition): registrar with Digest
 * authentication, keepalive watch, catalog query, alarm subscription and notifications, guard
 * control. Knows nothing of the hub: what happens is told through `events`.
 */
export class GbPlatform {
  readonly endpoint: SipEndpoint;
  readonly devices = new Map<string, GbDevice>();
  private readonly auth: DigestAuthority;
  private readonly scheduler: Scheduler;
  private readonly pending = new Map<string, Pending>();
  private sweepTimer: unknown;
  private sn = Math.floor(Math.random() * 1000);
  private cseq = 1;
  private running = false;

  constructor(private readonly o: GbPlatformOptions) {
    this.scheduler = o.scheduler ?? realScheduler;
    this.auth = new DigestAuthority(o.config.realm, () => this.scheduler.now());
    this.endpoint = new SipEndpoint({
      host: o.config.host ?? '0.0.0.0',
      port: o.config.port,
      scheduler: this.scheduler,
      ...(o.timers ? { timers: o.timers } : {}),
      ...(o.limits ? { limits: o.limits } : {}),
      onRequest: (incoming) => this.onRequest(incoming),
      onMalformed: (reason, detail, bytes, from) => this.reject('gb_sip_malformed', from, `${reason}: ${detail}`, bytes),
    });
  }

  get port(): number {
    return this.endpoint.port;
  }

  get sipId(): string {
    return this.o.config.sipId;
  }

  async start(): Promise<void> {
    await this.endpoint.start();
    this.running = true;
    this.scheduleSweep();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.scheduler.clear(this.sweepTimer);
    for (const p of this.pending.values()) {
      this.scheduler.clear(p.timer);
      p.resolve(undefined);
    }
    this.pending.clear();
    await this.endpoint.stop();
  }

  private scheduleSweep(): void {
    if (!this.running) return;
    this.sweepTimer = this.scheduler.set(() => {
      this.sweep();
      this.scheduleSweep();
    }, this.o.sweepMs ?? 1000);
  }

  /** Devices silent for `keepaliveMissed` intervals go offline; expired registrations are dropped. */
  sweep(): void {
    const now = this.scheduler.now();
    const silentMs = this.o.config.keepaliveIntervalS * 1000 * this.o.config.keepaliveMissed;
    for (const dev of [...this.devices.values()]) {
      if (now >= dev.expiresAt) {
        this.devices.delete(dev.id);
        if (dev.online) this.setOffline(dev, 'expired');
      } else if (dev.online && now - dev.lastSeenAt > silentMs) this.setOffline(dev, 'keepalive');
    }
  }

  private setOffline(dev: GbDevice, cause: OfflineCause): void {
    dev.online = false;
    this.o.log.info({ device: dev.id, cause }, 'GB/T 28181 device offline');
    this.o.events?.offline?.(dev, cause);
  }

  private setSeen(dev: GbDevice): void {
    dev.lastSeenAt = this.scheduler.now();
    if (!dev.online) {
      dev.online = true;
      this.o.events?.online?.(dev);
    }
  }

  private reject(reason: GbRejectReason, from: Peer, detail: string, bytes: Buffer): void {
    this.o.events?.reject?.(reason, from, detail, bytes);
  }

  private onRequest(incoming: IncomingRequest): void {
    if (this.o.events?.request?.(incoming)) return;
    const { req } = incoming;
    try {
      switch (req.method) {
        case 'REGISTER':
          return this.onRegister(incoming);
        case 'MESSAGE':
        case 'NOTIFY':
          return this.onMessage(incoming);
        case 'OPTIONS':
          return incoming.reply(200, 'OK', [['Allow', 'REGISTER, MESSAGE, NOTIFY, SUBSCRIBE, OPTIONS']]);
        default:
          return incoming.reply(405, 'Method Not Allowed', [['Allow', 'REGISTER, MESSAGE, NOTIFY, SUBSCRIBE, OPTIONS']]);
      }
    } catch (err) {
      this.o.log.error({ err, method: req.method }, 'GB/T 28181 request handling failed');
      incoming.reply(500, 'Server Internal Error');
    }
  }

  private passwordOf(deviceId: string): string | undefined {
    return this.o.config.devices.get(deviceId)?.password ?? this.o.config.password;
  }

  private onRegister(incoming: IncomingRequest): void {
    const { req, from } = incoming;
    const to = parseNameAddr(header(req, 'To')!);
    const deviceId = to?.user;
    if (!deviceId || !/^[0-9]{20}$/.test(deviceId)) {
      this.reject('gb_unknown_device', from, `REGISTER for "${(deviceId ?? '').slice(0, 40)}", not a 20-digit id`, req.body);
      return incoming.reply(400, 'Bad Request: To is not a 20-digit device id');
    }
    const password = this.passwordOf(deviceId);
    if (password === undefined) {
      this.reject('gb_unknown_device', from, `device ${deviceId} is not configured and there is no realm password`, req.body);
      return incoming.reply(403, 'Forbidden');
    }
    const authz = header(req, 'Authorization');
    if (!authz) return incoming.reply(401, 'Unauthorized', [['WWW-Authenticate', this.auth.challenge()]]);
    const creds = parseDigest(authz);
    if (!creds) {
      this.reject('gb_auth_failed', from, `device ${deviceId}: Authorization is not Digest`, req.body);
      return incoming.reply(400, 'Bad Request: Authorization');
    }
    const verdict = creds.username === deviceId ? this.auth.check('REGISTER', creds, password) : 'wrong';
    if (verdict === 'stale' || verdict === 'bad_nonce') return incoming.reply(401, 'Unauthorized', [['WWW-Authenticate', this.auth.challenge(verdict === 'stale')]]);
    if (verdict !== 'ok') {
      this.reject('gb_auth_failed', from, `device ${deviceId}: ${verdict === 'wrong' ? 'wrong password or username' : 'digest parameters'}`, req.body);
      return incoming.reply(403, 'Forbidden');
    }
    const contact = header(req, 'Contact');
    const expiresText = header(req, 'Expires') ?? (contact ? parseNameAddr(contact)?.params.get('expires') : undefined) ?? '3600';
    if (!/^\d{1,10}$/.test(expiresText)) return incoming.reply(400, 'Bad Request: Expires');
    const requested = Number(expiresText);
    const now = this.scheduler.now();
    const date: Header = ['Date', formatGbTime(now)];
    const existing = this.devices.get(deviceId);
    if (requested === 0) {
      incoming.reply(200, 'OK', [date]);
      if (existing) {
        this.devices.delete(deviceId);
        if (existing.online) this.setOffline(existing, 'unregistered');
      }
      return;
    }
    if (requested < this.o.config.minExpiresS) return incoming.reply(423, 'Interval Too Brief', [['Min-Expires', String(this.o.config.minExpiresS)]]);
    const expires = Math.min(requested, this.o.config.maxExpiresS);
    const dev: GbDevice = existing ?? { id: deviceId, peer: from, registeredAt: now, expiresAt: 0, lastSeenAt: now, online: false, channels: new Map() };
    dev.peer = from;
    dev.expiresAt = now + expires * 1000;
    this.devices.set(deviceId, dev);
    incoming.reply(200, 'OK', [...(contact ? [['Contact', contact] as Header] : []), ['Expires', String(expires)], date]);
    this.o.log.info({ device: deviceId, expires, peer: `${from.transport}:${from.host}:${from.port}`, refresh: Boolean(existing) }, 'GB/T 28181 device registered');
    const refresh = Boolean(existing?.online);
    this.setSeen(dev);
    this.o.events?.registered?.(dev, refresh);
  }

  private onMessage(incoming: IncomingRequest): void {
    const { req, from } = incoming;
    const deviceId = parseNameAddr(header(req, 'From')!)?.user ?? '';
    let m: Manscdp;
    try {
      m = parseManscdp(req.body, header(req, 'Content-Type'));
    } catch (err) {
      if (!(err instanceof XmlBodyError)) throw err;
      this.reject(`gb_${err.reason}`, from, `${req.method} from ${deviceId.slice(0, 32)}: ${err.message}`, req.body);
      return incoming.reply(400, `Bad Request: ${err.message.slice(0, 100)}`);
    }
    const dev = this.devices.get(deviceId);
    if (!dev || dev.peer.host !== from.host) {
      this.reject('gb_not_registered', from, `${m.cmdType} from ${deviceId.slice(0, 32)}, which is not registered from ${from.host}`, req.body);
      return incoming.reply(403, 'Forbidden: not registered');
    }
    if (m.root === 'Notify' && m.cmdType === 'Keepalive') {
      incoming.reply(200, 'OK');
      this.setSeen(dev);
      this.o.events?.keepalive?.(dev);
      return;
    }
    if (m.cmdType === 'Alarm' && m.root === 'Notify') return this.onAlarm(incoming, dev, m);
    if (m.root === 'Response' && m.cmdType === 'Catalog') return this.onCatalogPart(incoming, dev, m);
    if (m.root === 'Response') {
      incoming.reply(200, 'OK');
      this.settle(dev.id, m.sn, m);
      return;
    }
    incoming.reply(200, 'OK');
  }

  private onAlarm(incoming: IncomingRequest, dev: GbDevice, m: Manscdp): void {
    let alarm: GbAlarm;
    try {
      alarm = parseAlarm(m);
    } catch (err) {
      if (!(err instanceof AlarmBodyError)) throw err;
      this.reject('gb_xml_schema', incoming.from, `alarm from ${dev.id}: ${err.message}`, incoming.req.body);
      return incoming.reply(400, `Bad Request: ${err.message}`);
    }
    incoming.reply(200, 'OK');
    this.setSeen(dev);
    this.o.events?.alarm?.(dev, alarm, incoming.req.body);
    // §9.4: the platform confirms the alarm with a Response.
    if (incoming.req.method === 'MESSAGE') {
      void this.sendMessage(dev, buildManscdp('Response', [['CmdType', 'Alarm'], ['SN', m.sn], ['DeviceID', m.deviceId], ['Result', 'OK']], this.o.config.charset)).catch(() => {});
    }
  }

  private onCatalogPart(incoming: IncomingRequest, dev: GbDevice, m: Manscdp): void {
    const sumNum = Number(textOf(m.body, 'SumNum') ?? NaN);
    if (!Number.isInteger(sumNum) || sumNum < 0) {
      this.reject('gb_xml_schema', incoming.from, `catalog from ${dev.id} without a SumNum`, incoming.req.body);
      return incoming.reply(400, 'Bad Request: SumNum');
    }
    if (sumNum > this.o.config.maxChannelsPerDevice) {
      this.reject('gb_too_many_channels', incoming.from, `catalog from ${dev.id} has ${sumNum} channels, over ${this.o.config.maxChannelsPerDevice}`, incoming.req.body);
      return incoming.reply(400, 'Bad Request: too many channels');
    }
    incoming.reply(200, 'OK');
    const key = `${dev.id}|${m.sn}`;
    const pending = this.pending.get(key);
    if (!pending?.items) return; // not asked for, or already complete
    for (const item of listOf(m.body, 'DeviceList', 'Item')) {
      const ch = channelOf(item);
      if (ch && pending.items.size < sumNum) pending.items.set(ch.id, ch);
    }
    pending.sumNum = sumNum;
    if (pending.items.size >= sumNum) this.settle(dev.id, m.sn, m);
  }

  private settle(deviceId: string, sn: string, m: Manscdp | undefined): void {
    const key = `${deviceId}|${sn}`;
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    this.scheduler.clear(p.timer);
    p.resolve(m);
  }

  private expect(deviceId: string, sn: string, catalog: boolean): { promise: Promise<Manscdp | undefined>; pending: Pending } {
    let pending!: Pending;
    const promise = new Promise<Manscdp | undefined>((resolve) => {
      pending = { resolve, timer: this.scheduler.set(() => this.settle(deviceId, sn, undefined), this.o.answerTimeoutMs ?? 30_000), ...(catalog ? { items: new Map() } : {}) };
    });
    this.pending.set(`${deviceId}|${sn}`, pending);
    return { promise, pending };
  }

  private nextSn(): string {
    this.sn = (this.sn + 1) % 1_000_000;
    return String(this.sn);
  }

  private requestTo(dev: GbDevice, method: string, body: Buffer, extra: Header[] = []): Promise<SipResponse> {
    const { sipId, domain } = this.o.config;
    const req: SipRequest = {
      kind: 'request',
      method,
      uri: `sip:${dev.id}@${hostPort(dev.peer)}`,
      headers: [
        ['From', `<sip:${sipId}@${domain}>;tag=${SipEndpoint.tag()}`],
        ['To', `<sip:${dev.id}@${domain}>`],
        ['Call-ID', `${SipEndpoint.tag()}@${this.endpoint.host}`],
        ['CSeq', `${this.cseq++} ${method}`],
        ['Content-Type', MANSCDP],
        ['User-Agent', 'community-safety-hub'],
        ...extra,
      ],
      body,
    };
    return this.endpoint.request(req, dev.peer);
  }

  private sendMessage(dev: GbDevice, body: Buffer): Promise<SipResponse> {
    return this.requestTo(dev, 'MESSAGE', body);
  }

  private registered(deviceId: string): GbDevice {
    const dev = this.devices.get(deviceId);
    if (!dev) throw new Error(`GB/T 28181 device ${deviceId} is not registered`);
    return dev;
  }

  /** Asks a device for its catalog; resolves with every channel once SumNum have come (in as many MESSAGEs as it likes). */
  async queryCatalog(deviceId: string): Promise<GbChannel[]> {
    const dev = this.registered(deviceId);
    const sn = this.nextSn();
    const { promise, pending } = this.expect(dev.id, sn, true);
    const res = await this.sendMessage(dev, buildManscdp('Query', [['CmdType', 'Catalog'], ['SN', sn], ['DeviceID', dev.id]], this.o.config.charset)).catch((err: unknown) => {
      this.settle(dev.id, sn, undefined);
      throw err;
    });
    if (res.status !== 200) {
      this.settle(dev.id, sn, undefined);
      throw new Error(`catalog query to ${dev.id} answered ${res.status}`);
    }
    const m = await promise;
    const items = [...pending.items!.values()];
    if (!m) throw new SipTimeoutError(`catalog of ${dev.id}: ${items.length} of ${pending.sumNum ?? '?'} channels before the timeout`);
    dev.channels = new Map(items.map((c) => [c.id, c]));
    this.o.events?.catalog?.(dev, items);
    return items;
  }

  /**
   * A MESSAGE whose answer comes back as a Response MESSAGE with the same SN; resolves with that
   * Response, or undefined when the device refuses the MESSAGE or does not answer in time.
   */
  private async ask(deviceId: string, root: 'Query' | 'Control', cmdType: string, fields: XmlFields = []): Promise<Manscdp | undefined> {
    const dev = this.registered(deviceId);
    const sn = this.nextSn();
    const { promise } = this.expect(dev.id, sn, false);
    const body = buildManscdp(root, [['CmdType', cmdType], ['SN', sn], ['DeviceID', dev.id], ...fields], this.o.config.charset);
    const res = await this.sendMessage(dev, body).catch((err: unknown) => {
      this.settle(dev.id, sn, undefined);
      throw err;
    });
    if (res.status !== 200) {
      this.settle(dev.id, sn, undefined);
      return undefined;
    }
    return promise;
  }

  /** DeviceInfo query (A.2.4.3): the device's own name, maker and model; undefined when it gives none in time. */
  async queryDeviceInfo(deviceId: string): Promise<{ name?: string; manufacturer?: string; model?: string } | undefined> {
    const m = await this.ask(deviceId, 'Query', 'DeviceInfo');
    if (!m) return undefined;
    const t = (k: string) => textOf(m.body, k)?.slice(0, 200) || undefined;
    const name = t('DeviceName');
    const manufacturer = t('Manufacturer');
    const model = t('Model');
    return { ...(name ? { name } : {}), ...(manufacturer ? { manufacturer } : {}), ...(model ? { model } : {}) };
  }

  /** SUBSCRIBE for alarms of every priority and method (2016 §9.7.2); resolves with the SIP status. */
  async subscribeAlarms(deviceId: string, expiresS = 3600): Promise<number> {
    const dev = this.registered(deviceId);
    const sn = this.nextSn();
    const body = buildManscdp(
      'Query',
      [['CmdType', 'Alarm'], ['SN', sn], ['DeviceID', dev.id], ['StartAlarmPriority', 0], ['EndAlarmPriority', 0], ['AlarmMethod', 0]],
      this.o.config.charset,
    );
    const res = await this.requestTo(dev, 'SUBSCRIBE', body, [['Event', `Alarm;id=${sn}`], ['Expires', String(expiresS)], ['Contact', `<sip:${this.o.config.sipId}@${this.endpoint.host}:${this.port}>`]]);
    return res.status;
  }

  /** SetGuard / ResetGuard DeviceControl; resolves with the device's Result (OK, ERROR), or undefined without one. */
  async setGuard(deviceId: string, on: boolean): Promise<string | undefined> {
    const m = await this.ask(deviceId, 'Control', 'DeviceControl', [['GuardCmd', on ? 'SetGuard' : 'ResetGuard']]);
    return m ? textOf(m.body, 'Result') : undefined;
  }
}

const hostPort = (p: Peer) => `${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`;

function channelOf(item: Record<string, unknown>): GbChannel | undefined {
  const t = (k: string) => (typeof item[k] === 'string' ? (item[k] as string) : undefined);
  const id = t('DeviceID');
  if (!id || !/^[A-Za-z0-9]{1,32}$/.test(id)) return undefined;
  const coord = (k: string, lim: number) => {
    const v = t(k);
    const n = v !== undefined && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
    return Number.isFinite(n) && Math.abs(n) <= lim && n !== 0 ? n : undefined;
  };
  const status = t('Status')?.toUpperCase();
  const lon = coord('Longitude', 180);
  const lat = coord('Latitude', 90);
  return {
    id,
    ...(t('Name') ? { name: t('Name')!.slice(0, 200) } : {}),
    ...(t('Manufacturer') ? { manufacturer: t('Manufacturer')!.slice(0, 100) } : {}),
    ...(t('Model') ? { model: t('Model')!.slice(0, 100) } : {}),
    ...(status === 'ON' || status === 'OFF' ? { status } : {}),
    ...(t('ParentID') ? { parentId: t('ParentID')! } : {}),
    ...(lon !== undefined ? { longitude: lon } : {}),
    ...(lat !== undefined ? { latitude: lat } : {}),
  };
}

