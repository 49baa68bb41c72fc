import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { DiscoveryResponder, type DiscoveryResponderOptions } from './discovery.ts';
import { DigestGuard } from './http-digest.ts';
import { renderJpeg } from './jpeg.ts';
import { PullPointManager, type SimNotification } from './pull-point.ts';
import * as R from './responses.ts';
import { checkUsernameToken } from './wsse.ts';
import { child, envelope, faultBody, parseIsoDurationMs, parseXml, textOf, type XmlNode } from './xml.ts';

export interface SimulatedCameraOptions {
  /** Loopback address to listen on. Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  username?: string;
  password?: string;
  name?: string;
  serial?: string;
  location?: string;
  /** Snapshot size; small by default so hundreds of cameras stay cheap. */
  snapshotWidth?: number;
  snapshotHeight?: number;
  hue?: number;
  /** WS-Discovery responder; off by default. */
  discovery?: false | Pick<DiscoveryResponderOptions, 'mode' | 'port' | 'interfaceAddress'>;
  /** Upper bound on how long a PullMessages call is held open (the client's own Timeout is honoured below it). */
  maxPullWaitMs?: number;
}

/** Operations answered without credentials, as ONVIF's PRE_AUTH access class allows. */
const PRE_AUTH = new Set(['GetSystemDateAndTime', 'GetCapabilities', 'GetServices']);
const MAX_BODY_BYTES = 256 * 1024;

export interface CameraStats {
  requests: Record<string, number>;
  authFailures: number;
  snapshots: number;
  droppedConnections: number;
}

export class SimulatedCamera {
  readonly urn = `urn:uuid:${randomUUID()}`;
  readonly username: string;
  private password: string;
  private readonly name: string;
  private readonly serial: string;
  private readonly server: http.Server;
  private readonly digest = new DigestGuard('onvif-sim');
  private readonly pullPoints = new PullPointManager();
  private responder: DiscoveryResponder | undefined;
  private readonly sockets = new Set<Socket>();
  private boundPort = 0;
  private discoveryPort = 0;
  private frame = 0;

  private reachable = true;
  private clockDriftS = 0;
  private motion = false;
  private tamper = false;
  private signalLoss = false;

  readonly stats: CameraStats = { requests: {}, authFailures: 0, snapshots: 0, droppedConnections: 0 };

  constructor(private readonly opts: SimulatedCameraOptions = {}) {
    this.username = opts.username ?? 'admin';
    this.password = opts.password ?? 'admin123';
    this.name = opts.name ?? 'SimCam';
    this.serial = opts.serial ?? this.urn.slice(-12).toUpperCase();
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      // An unplugged camera: the TCP handshake may still complete on loopback, but nothing is ever answered.
      if (!this.reachable) {
        this.stats.droppedConnections++;
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  get host(): string {
    return this.opts.host ?? '127.0.0.1';
  }
  get port(): number {
    return this.boundPort;
  }
  get baseUrl(): string {
    return `http://${this.host}:${this.boundPort}`;
  }
  get xaddr(): string {
    return `${this.baseUrl}${R.paths.device}`;
  }
  /** UDP port of the WS-Discovery responder (0 when discovery is off). */
  get discoveryAddress(): string | undefined {
    return this.discoveryPort ? `${this.host}:${this.discoveryPort}` : undefined;
  }
  get subscriptionCount(): number {
    return this.pullPoints.count;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, this.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (this.server.address() as AddressInfo).port;
    if (this.opts.discovery) {
      this.responder = new DiscoveryResponder({
        ...this.opts.discovery,
        address: this.host,
        endpointUrn: this.urn,
        xaddr: () => this.xaddr,
        scopes: [
          'onvif://www.onvif.org/type/video_encoder',
          'onvif://www.onvif.org/Profile/Streaming',
          `onvif://www.onvif.org/name/${this.name.replace(/\s/g, '_')}`,
          'onvif://www.onvif.org/hardware/SIM-IPC-1080',
          `onvif://www.onvif.org/location/${this.opts.location ?? 'community'}`,
        ],
        active: () => this.reachable,
      });
      this.discoveryPort = (await this.responder.start()).port;
    }
    return this;
  }

  async stop(): Promise<void> {
    this.pullPoints.clear();
    await this.responder?.stop();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- control: what a test or an operator does to the camera ----

  /** false: every connection is dropped and probes go unanswered; subscriptions are lost, as after a power cut. */
  setReachable(reachable: boolean): void {
    this.reachable = reachable;
    if (!reachable) {
      this.pullPoints.clear();
      for (const s of this.sockets) s.destroy();
    }
  }
  setClockDriftS(seconds: number): void {
    this.clockDriftS = seconds;
  }
  setPassword(password: string): void {
    this.password = password;
  }
  raiseMotion(active = true): void {
    this.motion = active;
    this.notify('tns1:RuleEngine/CellMotionDetector/Motion', { IsMotion: String(active) }, motionSource());
  }
  raiseTamper(active = true): void {
    this.tamper = active;
    this.notify('tns1:VideoSource/GlobalSceneChange/ImagingService', { State: String(active) });
  }
  videoLoss(): void {
    this.signalLoss = true;
    this.notify('tns1:VideoSource/SignalLoss', { State: 'true' });
  }
  videoRestored(): void {
    this.signalLoss = false;
    this.notify('tns1:VideoSource/SignalLoss', { State: 'false' });
  }

  private now(): Date {
    return new Date(Date.now() + this.clockDriftS * 1000);
  }
  private cameraClock = (d: Date): Date => new Date(d.getTime() + this.clockDriftS * 1000);

  private notify(topic: string, data: Record<string, string>, source: Record<string, string> = videoSource()): void {
    this.pullPoints.publish({ topic, utcTime: new Date(), operation: 'Changed', source, data });
  }

  private initialState(): SimNotification[] {
    const base = { utcTime: new Date(), operation: 'Initialized' as const };
    return [
      { ...base, topic: 'tns1:RuleEngine/CellMotionDetector/Motion', source: motionSource(), data: { IsMotion: String(this.motion) } },
      { ...base, topic: 'tns1:VideoSource/GlobalSceneChange/ImagingService', source: videoSource(), data: { State: String(this.tamper) } },
      { ...base, topic: 'tns1:VideoSource/SignalLoss', source: videoSource(), data: { State: String(this.signalLoss) } },
    ];
  }

  // ---- HTTP ----

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', this.baseUrl);
      if (req.method === 'GET' && url.pathname.startsWith(R.paths.snapshot)) return this.snapshot(req, res, url.pathname);
      if (req.method !== 'POST') return void res.writeHead(405).end();
      const body = await readBody(req);
      if (body === undefined) return void res.writeHead(413).end();
      let doc: XmlNode;
      try {
        doc = parseXml(body);
      } catch {
        return this.fault(res, 400, 'Sender', 'ter:WellFormed', 'Malformed XML');
      }
      const op = operationOf(doc);
      if (!op) return this.fault(res, 400, 'Sender', 'ter:InvalidArgVal', 'No operation in SOAP body');
      this.stats.requests[op] = (this.stats.requests[op] ?? 0) + 1;
      const auth = checkUsernameToken(doc, this.username, this.password);
      const allowed = op === 'GetSystemDateAndTime' || auth === 'ok' || (auth === 'missing' && PRE_AUTH.has(op));
      if (!allowed) {
        this.stats.authFailures++;
        return this.fault(res, 400, 'Sender', 'ter:NotAuthorized', 'Sender not Authorized');
      }
      const xml = await this.operation(op, doc, url.pathname);
      if (xml === undefined) return this.fault(res, 400, 'Sender', 'ter:InvalidArgVal', `Unknown subscription or argument for ${op}`);
      if (xml === null) return this.fault(res, 400, 'Receiver', 'ter:ActionNotSupported', `${op} is not supported by this camera`);
      this.reply(res, 200, envelope(xml));
    } catch (err) {
      this.fault(res, 500, 'Receiver', 'ter:Action', `Internal error: ${(err as Error).message}`);
    }
  }

  /** XML body of the response; undefined for a bad argument; null for an operation the camera lacks. */
  private async operation(op: string, doc: XmlNode, path: string): Promise<string | undefined | null> {
    const identity = this.identity();
    const arg = (...p: string[]) => textOf(child(doc, 'Envelope', 'Body', op, ...p));
    switch (op) {
      case 'GetSystemDateAndTime':
        return R.systemDateAndTime(this.now());
      case 'GetCapabilities':
        return R.capabilities(identity);
      case 'GetServices':
        return R.services(identity);
      case 'GetDeviceInformation':
        return R.deviceInformation(identity);
      case 'GetProfiles':
        return R.profiles();
      case 'GetVideoSources':
        return R.videoSources();
      case 'GetStreamUri':
      case 'GetSnapshotUri': {
        const token = arg('ProfileToken') ?? '';
        if (!R.PROFILES.some((p) => p.token === token)) return undefined;
        return op === 'GetStreamUri' ? R.streamUri(identity, token) : R.snapshotUri(identity, token);
      }
      case 'GetEventProperties':
        return R.eventProperties();
      case 'CreatePullPointSubscription': {
        const ttl = parseIsoDurationMs(arg('InitialTerminationTime')) ?? 60_000;
        const sub = this.pullPoints.create(ttl);
        for (const n of this.initialState()) this.pullPoints.publishTo(sub.id, n);
        return R.createPullPoint(`${this.baseUrl}${R.paths.subscription}${sub.id}`, this.now(), this.cameraClock(new Date(sub.terminatesAt)));
      }
      case 'PullMessages':
      case 'Renew':
      case 'Unsubscribe': {
        const id = path.startsWith(R.paths.subscription) ? path.slice(R.paths.subscription.length) : '';
        if (!this.pullPoints.has(id)) return undefined;
        if (op === 'Unsubscribe') {
          this.pullPoints.remove(id);
          return R.unsubscribe();
        }
        if (op === 'Renew') {
          const until = this.pullPoints.renew(id, parseIsoDurationMs(arg('TerminationTime')) ?? 60_000)!;
          return R.renew(this.now(), this.cameraClock(new Date(until)));
        }
        const wait = Math.min(parseIsoDurationMs(arg('Timeout')) ?? 10_000, this.opts.maxPullWaitMs ?? 60_000);
        const limit = Math.max(1, Number(arg('MessageLimit') ?? 10) || 10);
        const messages = (await this.pullPoints.pull(id, wait, limit)) ?? [];
        const until = this.pullPoints.terminatesAt(id) ?? Date.now();
        return R.pullMessages(messages, this.now(), this.cameraClock(new Date(until)), this.cameraClock);
      }
      default:
        return null;
    }
  }

  private snapshot(req: http.IncomingMessage, res: http.ServerResponse, path: string): void {
    const token = path.slice(R.paths.snapshot.length).replace(/\.jpg$/, '');
    if (!R.PROFILES.some((p) => p.token === token)) return void res.writeHead(404).end();
    if (!this.digest.verify(req.headers.authorization, 'GET', this.username, this.password)) {
      if (req.headers.authorization) this.stats.authFailures++;
      res.writeHead(401, { 'WWW-Authenticate': this.digest.challenge(), 'Content-Type': 'text/plain' });
      return void res.end('Unauthorized');
    }
    this.stats.snapshots++;
    const jpeg = renderJpeg({
      width: this.opts.snapshotWidth ?? 320,
      height: this.opts.snapshotHeight ?? 180,
      hue: this.opts.hue ?? 200,
      frame: this.frame++,
      black: this.signalLoss,
    });
    res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': jpeg.length });
    res.end(jpeg);
  }

  private identity(): R.CameraIdentity {
    return {
      baseUrl: this.baseUrl,
      rtspBase: `rtsp://${this.host}:554/sim/${this.serial}`,
      manufacturer: 'SafetyHub Sim',
      model: 'SIM-IPC-1080',
      firmware: '1.0.0-sim',
      serial: this.serial,
      hardwareId: 'SIM-HW-1',
    };
  }

  private fault(res: http.ServerResponse, status: number, code: 'Sender' | 'Receiver', subcode: string, reason: string): void {
    this.reply(res, status, envelope(faultBody(code, subcode, reason)));
  }

  private reply(res: http.ServerResponse, status: number, xml: string): void {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, { 'Content-Type': 'application/soap+xml; charset=utf-8', 'Content-Length': Buffer.byteLength(xml) });
    res.end(xml);
  }
}

function operationOf(doc: XmlNode): string | undefined {
  const body = child(doc, 'Envelope', 'Body');
  if (!body || typeof body !== 'object') return undefined;
  return Object.keys(body).find((k) => !k.startsWith('@_') && k !== '#text');
}

function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const videoSource = () => ({ Source: R.VIDEO_SOURCE_TOKEN });
const motionSource = () => ({ VideoSourceConfigurationToken: 'vsc_1', VideoAnalyticsConfigurationToken: 'vac_1', Rule: 'MyMotionDetectorRule' });
