import { authorize } from '../../server/src/gb28181/digest.ts';
import { formatGbTime } from '../../server/src/gb28181/alarms.ts';
import { SipEndpoint, type IncomingRequest, type Peer, type Transport } from '../../server/src/gb28181/sip/endpoint.ts';
import { header, type Header, type SipRequest, type SipResponse } from '../../server/src/gb28181/sip/message.ts';
import type { SipTimers } from '../../server/src/gb28181/sip/transaction.ts';
import { buildManscdp, parseManscdp, textOf, type XmlFields } from '../../server/src/gb28181/xml.ts';

export type SimAlarm = 'video_loss' | 'tamper' | 'motion' | 'line_crossing' | 'disk_full';

/** AlarmMethod and AlarmType of each simulated alarm (2016 edition §A.2.6). */
export const SIM_ALARM_CODES: Record<SimAlarm, { method: number; type: number }> = {
  video_loss: { method: 2, type: 1 },
  tamper: { method: 2, type: 2 },
  disk_full: { method: 2, type: 3 },
  motion: { method: 5, type: 2 },
  line_crossing: { method: 5, type: 5 },
};

export interface SimPlatform {
  sipId: string;
  domain: string;
  host: string;
  port: number;
}

export interface SimDeviceOptions {
  /** 20 digits; type 118 (NVR) or 132 (IPC) by custom. */
  id: string;
  platform: SimPlatform;
  password: string;
  transport?: Transport;
  /** Channels; their ids are the device id's first 10 digits, 131 and a serial. */
  channels?: number;
  channelNames?: (i: number) => string;
  /** What it answers a DeviceInfo query with. */
  deviceName?: string;
  keepaliveIntervalS?: number;
  expiresS?: number;
  /** Items per catalog MESSAGE (the device's own batching, counted by SumNum). */
  catalogBatch?: number;
  /** The charset of the device's bodies; GB2312 as the 2016 edition says. */
  charset?: 'GB2312' | 'UTF-8';
  timers?: SipTimers;
}

export interface AlarmRequest {
  alarm: SimAlarm;
  /** Channel index (0-based), or the device itself when undefined. */
  channel?: number;
  priority?: number;
  description?: string;
  longitude?: number;
  latitude?: number;
  /** Send as NOTIFY (after a SUBSCRIBE) or MESSAGE; NOTIFY when subscribed, by default. */
  as?: 'NOTIFY' | 'MESSAGE';
}

/**
 * A simulated GB/T 28181 camera or NVR: registers with Digest, keeps alive, answers catalog
 * queries in batches, takes alarm subscriptions and guard commands, raises alarms. Misbehaves
 * on request: a wrong password, keepalives skipped, malformed XML, a raw datagram.
 */
export class SimGbDevice {
  readonly endpoint: SipEndpoint;
  readonly channelIds: string[];
  guard: 'SetGuard' | 'ResetGuard' | undefined;
  subscribed = false;
  catalogQueries = 0;
  /** Keepalives not sent while this is set (missed keepalives). */
  silent = false;
  /** Register with this password instead of the right one. */
  wrongPassword: string | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly callId = `${SipEndpoint.tag()}@sim`;
  private readonly tag = SipEndpoint.tag();
  private cseq = 1;
  private sn = 0;
  private readonly scripts: NodeJS.Timeout[] = [];

  constructor(readonly o: SimDeviceOptions) {
    const n = o.channels ?? 1;
    this.channelIds = Array.from({ length: n }, (_, i) => `${o.id.slice(0, 10)}131${String(Number(o.id.slice(13)) * 10_000 + i + 1).padStart(7, '0').slice(-7)}`);
    this.endpoint = new SipEndpoint({
      host: '127.0.0.1',
      port: 0,
      ...(o.timers ? { timers: o.timers } : {}),
      onRequest: (r) => this.onRequest(r),
      onMalformed: () => {},
    });
  }

  get id(): string {
    return this.o.id;
  }

  private get peer(): Peer {
    return { transport: this.o.transport ?? 'udp', host: this.o.platform.host, port: this.o.platform.port };
  }

  private get charset(): 'GB2312' | 'UTF-8' {
    return this.o.charset ?? 'GB2312';
  }

  async start(): Promise<void> {
    await this.endpoint.start();
  }

  async stop(): Promise<void> {
    this.stopKeepalive();
    clearTimeout(this.refreshTimer);
    for (const t of this.scripts.splice(0)) clearTimeout(t);
    await this.endpoint.stop();
  }

  private request(method: string, body: Buffer, extra: Header[] = [], cseq = this.cseq++, callId = `${SipEndpoint.tag()}@sim`): SipRequest {
    const { sipId, domain } = this.o.platform;
    return {
      kind: 'request',
      method,
      uri: `sip:${sipId}@${domain}`,
      headers: [
        ['From', `<sip:${this.o.id}@${domain}>;tag=${this.tag}`],
        ['To', `<sip:${method === 'REGISTER' ? this.o.id : sipId}@${domain}>`],
        ['Call-ID', callId],
        ['CSeq', `${cseq} ${method}`],
        ['User-Agent', 'gb28181-sim'],
        ...extra,
      ],
      body,
    };
  }

  /** REGISTER, answering the Digest challenge; resolves with the final status (200, 403...). */
  async register(expiresS = this.o.expiresS ?? 3600): Promise<number> {
    const contact: Header = ['Contact', `<sip:${this.o.id}@127.0.0.1:${this.endpoint.port}>`];
    const extra: Header[] = [contact, ['Expires', String(expiresS)]];
    const uri = `sip:${this.o.platform.sipId}@${this.o.platform.domain}`;
    let res = await this.endpoint.request(this.request('REGISTER', Buffer.alloc(0), extra, this.cseq++, this.callId), this.peer);
    if (res.status === 401) {
      const challenge = header(res, 'WWW-Authenticate') ?? '';
      const auth = authorize(challenge, 'REGISTER', uri, this.o.id, this.wrongPassword ?? this.o.password);
      if (!auth) return res.status;
      res = await this.endpoint.request(this.request('REGISTER', Buffer.alloc(0), [...extra, ['Authorization', auth]], this.cseq++, this.callId), this.peer);
    }
    if (res.status === 200 && expiresS > 0) {
      clearTimeout(this.refreshTimer);
      // Re-register before expiry, as devices do at about half-time.
      this.refreshTimer = setTimeout(() => void this.register(expiresS).catch(() => {}), (expiresS * 1000) / 2);
      this.refreshTimer.unref();
    }
    return res.status;
  }

  unregister(): Promise<number> {
    clearTimeout(this.refreshTimer);
    return this.register(0);
  }

  private body(root: string, fields: XmlFields): Buffer {
    return buildManscdp(root, fields, this.charset);
  }

  private nextSn(): number {
    return ++this.sn;
  }

  private message(body: Buffer, method = 'MESSAGE', extra: Header[] = []): Promise<SipResponse> {
    return this.endpoint.request(this.request(method, body, [['Content-Type', 'Application/MANSCDP+xml'], ...extra]), this.peer);
  }

  async keepalive(): Promise<number> {
    const res = await this.message(this.body('Notify', [['CmdType', 'Keepalive'], ['SN', this.nextSn()], ['DeviceID', this.o.id], ['Status', 'OK']]));
    return res.status;
  }

  startKeepalive(intervalS = this.o.keepaliveIntervalS ?? 60): void {
    this.stopKeepalive();
    this.keepaliveTimer = setInterval(() => {
      if (!this.silent) void this.keepalive().catch(() => {});
    }, intervalS * 1000);
    this.keepaliveTimer.unref();
  }

  stopKeepalive(): void {
    clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
  }

  async raiseAlarm(a: AlarmRequest): Promise<number> {
    const code = SIM_ALARM_CODES[a.alarm];
    const source = a.channel === undefined ? this.o.id : this.channelIds[a.channel]!;
    const fields: XmlFields = [
      ['CmdType', 'Alarm'],
      ['SN', this.nextSn()],
      ['DeviceID', source],
      ['AlarmPriority', a.priority ?? 1],
      ['AlarmMethod', code.method],
      ['AlarmTime', formatGbTime(Date.now()).slice(0, 19)],
      ['AlarmDescription', a.description ?? a.alarm],
      ...(a.longitude !== undefined ? ([['Longitude', a.longitude]] as XmlFields) : []),
      ...(a.latitude !== undefined ? ([['Latitude', a.latitude]] as XmlFields) : []),
      ['Info', [['AlarmType', code.type]]],
    ];
    const as = a.as ?? (this.subscribed ? 'NOTIFY' : 'MESSAGE');
    const res = await this.message(this.body('Notify', fields), as, as === 'NOTIFY' ? [['Event', 'Alarm'], ['Subscription-State', 'active']] : []);
    return res.status;
  }

  /** Alarms at offsets from now (a script), e.g. [{ afterMs: 5000, alarm: 'video_loss', channel: 3 }]. */
  script(steps: (AlarmRequest & { afterMs: number })[]): void {
    for (const s of steps) {
      const t = setTimeout(() => void this.raiseAlarm(s).catch(() => {}), s.afterMs);
      t.unref();
      this.scripts.push(t);
    }
  }

  /** A MESSAGE whose body is not well-formed XML; resolves with the status it gets. */
  async sendMalformedXml(): Promise<number> {
    return (await this.message(Buffer.from('<?xml version="1.0" encoding="GB2312"?>\n<Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>' + this.o.id + '</Notify>'))).status;
  }

  /** Bytes as they are, to the platform's UDP port (garbage SIP). */
  sendRaw(bytes: Buffer): void {
    this.endpoint.sendRaw(bytes, { ...this.peer, transport: 'udp' });
  }

  private catalogItems(): XmlFields[] {
    return this.channelIds.map((id, i) => [
      ['DeviceID', id],
      ['Name', this.o.channelNames?.(i) ?? `通道${i + 1}`],
      ['Manufacturer', 'Simulated'],
      ['Model', 'SIM-IPC'],
      ['Owner', 'Owner'],
      ['CivilCode', this.o.id.slice(0, 6)],
      ['Address', 'Address'],
      ['Parental', 0],
      ['ParentID', this.o.id],
      ['SafetyWay', 0],
      ['RegisterWay', 1],
      ['Secrecy', 0],
      ['Status', 'ON'],
    ]);
  }

  private onRequest(r: IncomingRequest): void {
    const { req } = r;
    if (req.method === 'SUBSCRIBE') {
      this.subscribed = true;
      r.reply(200, 'OK', [['Expires', header(req, 'Expires') ?? '3600']]);
      return;
    }
    if (req.method !== 'MESSAGE') return r.reply(405, 'Method Not Allowed');
    let m;
    try {
      m = parseManscdp(req.body, header(req, 'Content-Type'));
    } catch {
      return r.reply(400, 'Bad Request');
    }
    r.reply(200, 'OK');
    if (m.root === 'Query' && m.cmdType === 'Catalog') {
      this.catalogQueries++;
      void this.answerCatalog(m.sn);
    } else if (m.root === 'Query' && m.cmdType === 'DeviceInfo') {
      const info: XmlFields = [['CmdType', 'DeviceInfo'], ['SN', m.sn], ['DeviceID', this.o.id], ['DeviceName', this.o.deviceName ?? `模拟设备${this.o.id.slice(-4)}`], ['Manufacturer', 'Simulated'], ['Model', 'SIM-NVR'], ['Firmware', '1.0'], ['Channel', this.channelIds.length], ['Result', 'OK']];
      void this.message(this.body('Response', info)).catch(() => {});
    } else if (m.root === 'Control' && m.cmdType === 'DeviceControl') {
      const cmd = textOf(m.body, 'GuardCmd');
      if (cmd === 'SetGuard' || cmd === 'ResetGuard') this.guard = cmd;
      void this.message(this.body('Response', [['CmdType', 'DeviceControl'], ['SN', m.sn], ['DeviceID', this.o.id], ['Result', 'OK']])).catch(() => {});
    }
  }

  private async answerCatalog(sn: string): Promise<void> {
    const items = this.catalogItems();
    const batch = this.o.catalogBatch ?? 10;
    for (let i = 0; i < Math.max(items.length, 1); i += batch) {
      const part = items.slice(i, i + batch);
      const fields: XmlFields = [['CmdType', 'Catalog'], ['SN', sn], ['DeviceID', this.o.id], ['SumNum', items.length], ['DeviceList', part.map((f) => ['Item', f] as [string, XmlFields])]];
      await this.message(buildManscdp('Response', fields, this.charset, { DeviceList: part.length })).catch(() => {});
    }
  }
}

