import http from 'node:http';
import https from 'node:https';
import { createHash } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { digestAuthorization } from '#devices/http-digest.ts';
import type { AlertService } from '../../alerts/service.ts';
import type { SnapshotStore } from '../../cameras/snapshot-store.ts';
import type { Logger } from '../../log.ts';
import { RateLimitedLog } from '../../log.ts';
import type { DeviceRegistry } from '../../registry/devices.ts';
import { sameSecret } from './ctwing.ts';
import { MultipartError, MultipartReader, type MultipartPart } from './multipart.ts';
import type { AccessController } from './platforms.ts';
import type { PushIngest, PushMessage } from './push-ingest.ts';

/**
 * Hikvision access controllers over ISAPI: one long-lived
 * `GET /ISAPI/Event/notification/alertStream` per controller, with HTTP Digest
 * (#devices/http-digest.ts), read as an
 * endless multipart stream. Each `AccessControllerEvent` (JSON or XML part) becomes what a gate
 * would publish over MQTT: an event (granted, denied, forced, held open, tailgating) or a door
 * reading, through the same PushIngest as the carriers' pushes; a picture part right after an
 * event that raised an alert is attached to that alert like a camera snapshot. The stream
 * reconnects with exponential backoff; a controller that refuses the password waits longest.
 */

/**
 * Hikvision access-control log codes (HCNetSDK NET_DVR_ACS_ALARM_INFO; ISAPI `majorEventType` /
 * `subEventType` carry the same numbers, docs/platforms.md cites them) → gate event, or a door
 * reading; extended/overridden by `events:` in the config. Major 5 is 事件 (event), 1 is 报警 (alarm).
 */
export const DEFAULT_ISAPI_EVENTS: readonly { major: number; minor: number; type: string }[] = [
  // granted: card, card+password, fingerprint, card+fingerprint, face+card, face, employee no.+face, employee no.+password
  ...[0x01, 0x02, 0x26, 0x28, 0x3c, 0x4b, 0x4d, 0x65].map((minor) => ({ major: 5, minor, type: 'access_granted' })),
  // denied: card+password wrong / timed out, no right, invalid period, expired, invalid card, anti-passback,
  // fingerprint, card+fingerprint, face+card, face, employee no.+face, face not recognised, employee no.+password
  ...[0x03, 0x04, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x27, 0x29, 0x3d, 0x4c, 0x4e, 0x50, 0x66].map((minor) => ({ major: 5, minor, type: 'access_denied' })),
  { major: 5, minor: 0x1b, type: 'door_forced' }, // MINOR_DOOR_OPEN_ABNORMAL
  { major: 5, minor: 0x1c, type: 'door_held_open' }, // MINOR_DOOR_OPEN_TIMEOUT
  { major: 5, minor: 0x85, type: 'tailgating' }, // MINOR_TRAILING
  { major: 5, minor: 0x19, type: 'door:open' }, // MINOR_DOOR_OPEN_NORMAL
  { major: 5, minor: 0x1a, type: 'door:closed' }, // MINOR_DOOR_CLOSE_NORMAL
  // tamper (防拆): controller case, card reader, door security module
  ...[0x404, 0x406, 0x40f].map((minor) => ({ major: 1, minor, type: 'tamper' })),
];

/** Dahua eventManager codes → gate event (`AccessControl` by its Status: 1 passed, 0 refused). */
export const DEFAULT_DAHUA_EVENTS: readonly { code: string; status?: number; type: string }[] = [
  { code: 'AccessControl', status: 1, type: 'access_granted' },
  { code: 'AccessControl', status: 0, type: 'access_denied' },
  { code: 'BreakIn', type: 'door_forced' },
  { code: 'DoorNotClosed', type: 'door_held_open' },
  { code: 'ChassisIntruded', type: 'tamper' },
];

const DAHUA_PATH = '/cgi-bin/eventManager.cgi?action=attach&codes=[AccessControl,DoorStatus,BreakIn,DoorNotClosed,ChassisIntruded]&heartbeat=5';

export interface IsapiClientOptions {
  controller: AccessController;
  ingest: PushIngest;
  registry: DeviceRegistry;
  alerts: AlertService;
  snapshots: SnapshotStore;
  log: Logger;
  clock?: () => number;
  backoff?: { initialMs: number; maxMs: number };
  /** No byte for this long (controllers send a heartbeat every ~10 s): the stream is dead. */
  idleTimeoutMs?: number;
}

export type IsapiState = 'connecting' | 'connected' | 'unauthorized' | 'down' | 'push' | 'stopped';

const STREAM_PATH = '/ISAPI/Event/notification/alertStream';
// Values stay text: a card number's leading zeros matter; codes are converted where read.
const xml = new XMLParser({ ignoreAttributes: true, removeNSPrefix: true, parseTagValue: false });

export class IsapiClient {
  state: IsapiState = 'connecting';
  /** Connections made, for health and tests. */
  connections = 0;
  private readonly events = new Map<string, string>();
  private readonly warn: RateLimitedLog;
  private request: http.ClientRequest | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private delayMs: number;
  /** The alert the last event raised or repeated: the next picture part belongs to it. */
  private pictureFor: { alertId: string } | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  get controller(): AccessController {
    return this.o.controller;
  }

  constructor(private readonly o: IsapiClientOptions) {
    if (o.controller.vendor === 'dahua') {
      for (const e of [...DEFAULT_DAHUA_EVENTS, ...(o.controller.events ?? [])]) if (e.code) this.events.set(e.status !== undefined ? `${e.code}/${e.status}` : e.code, e.type);
    } else {
      for (const e of [...DEFAULT_ISAPI_EVENTS, ...(o.controller.events ?? [])]) if (e.major !== undefined && e.minor !== undefined) this.events.set(`${e.major}/${e.minor}`, e.type);
    }
    this.warn = new RateLimitedLog(o.log);
    this.delayMs = o.backoff?.initialMs ?? 1000;
  }

  start(): void {
    this.stopped = false;
    if (this.o.controller.url) this.connect();
    else this.state = 'push';
  }

  /**
   * Push mode: the parts of one POST from the controller, handled in order after anything the
   * stream is still handling; resolves once each event is spooled (or refused and counted), with
   * why a part could not be read, if one could not.
   */
  accept(parts: MultipartPart[]): Promise<string | undefined> {
    const run = this.chain.then(async () => {
      for (const part of parts) {
        try {
          await this.onPart(part);
        } catch (err) {
          return `a part could not be read: ${(err as Error).message}`;
        }
      }
      return undefined;
    });
    this.chain = run;
    return run;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.state = 'stopped';
    clearTimeout(this.timer);
    this.request?.destroy();
    await this.chain;
  }

  private connect(): void {
    if (this.stopped) return;
    this.state = this.state === 'unauthorized' ? 'unauthorized' : 'connecting';
    const url = new URL(this.o.controller.vendor === 'dahua' ? DAHUA_PATH : STREAM_PATH, this.o.controller.url!);
    this.get(url, undefined, (res, challenged) => {
      if (res.statusCode === 401 && !challenged) {
        res.resume();
        const answer = digestAuthorization('GET', url, res.headers, this.o.controller.username ?? '', this.o.controller.password ?? '');
        if ('error' in answer) return this.retry('down', answer.error);
        return this.get(url, answer.authorization, (res2) => this.stream(res2));
      }
      this.stream(res);
    });
  }

  private get(url: URL, authorization: string | undefined, onResponse: (res: http.IncomingMessage, challenged: boolean) => void): void {
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.get(url, { headers: { accept: 'multipart/mixed', ...(authorization ? { authorization } : {}) }, agent: false }, (res) => onResponse(res, authorization !== undefined));
    this.request = req;
    req.setTimeout(this.o.idleTimeoutMs ?? 60_000, () => req.destroy(new Error('no data from the controller')));
    req.on('error', (err) => this.retry('down', err.message));
  }

  private stream(res: http.IncomingMessage): void {
    if (res.statusCode === 401) {
      res.resume();
      return this.retry('unauthorized', 'the controller refused the username or password');
    }
    const boundary = MultipartReader.boundaryOf(res.headers['content-type']);
    if (res.statusCode !== 200 || !boundary) {
      res.resume();
      return this.retry('down', `alertStream answered HTTP ${res.statusCode} ${String(res.headers['content-type'] ?? '')}`);
    }
    this.state = 'connected';
    this.connections++;
    this.delayMs = this.o.backoff?.initialMs ?? 1000;
    this.o.log.info({ controller: this.o.controller.deviceId, url: this.o.controller.url }, 'ISAPI alertStream connected');
    const reader = new MultipartReader(boundary, (part) => {
      this.chain = this.chain.then(() => this.onPart(part)).catch((err: unknown) => this.warn.warn('isapi_part', { controller: this.o.controller.deviceId, err: (err as Error).message }, 'ISAPI part not handled'));
    });
    res.on('data', (chunk: Buffer) => {
      try {
        reader.write(chunk);
      } catch (err) {
        if (!(err instanceof MultipartError)) throw err;
        res.destroy(err);
      }
    });
    const done = (why: string) => this.retry('down', reader.midPart ? `${why} mid-event` : why);
    res.once('end', () => done('the controller ended the stream'));
    res.once('error', (err) => done(err.message));
  }

  private retry(state: IsapiState, why: string): void {
    if (this.stopped || this.timer) return;
    this.state = state;
    this.request?.destroy();
    const max = this.o.backoff?.maxMs ?? 30_000;
    // A wrong password will not fix itself soon: wait the longest.
    const delay = state === 'unauthorized' ? max : this.delayMs;
    this.delayMs = Math.min(max, this.delayMs * 2);
    this.warn.warn(`isapi_${state}`, { controller: this.o.controller.deviceId, why, retryInMs: delay }, 'ISAPI alertStream down; reconnecting');
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connect();
    }, delay);
    this.timer.unref();
  }

  private async onPart(part: MultipartPart): Promise<void> {
    const type = (part.headers['content-type'] ?? '').toLowerCase();
    if (type.startsWith('image/') || (part.body[0] === 0xff && part.body[1] === 0xd8)) return this.onPicture(part.body);
    if (this.o.controller.vendor === 'dahua') return this.onDahua(part.body.toString('utf8'));
    let alert: Record<string, unknown> | undefined;
    // Pushed parts may come without a type of their own (form-data): their first byte tells.
    const first = part.body.subarray(0, 64).toString('utf8').trimStart()[0];
    if (type.includes('json') || (!type && first === '{')) alert = JSON.parse(part.body.toString('utf8')) as Record<string, unknown>;
    else if (type.includes('xml') || (!type && first === '<')) alert = (xml.parse(part.body.toString('utf8')) as { EventNotificationAlert?: Record<string, unknown> }).EventNotificationAlert;
    this.pictureFor = undefined;
    if (!alert || alert.eventType !== 'AccessControllerEvent') return; // heartbeats (videoloss) and other event types
    const ace = alert.AccessControllerEvent as Record<string, unknown> | undefined;
    if (!ace) return;
    await this.onAccessEvent(alert, ace);
  }

  private async onAccessEvent(alert: Record<string, unknown>, ace: Record<string, unknown>): Promise<void> {
    const major = Number(ace.majorEventType);
    const minor = Number(ace.subEventType);
    const mapped = this.events.get(`${major}/${minor}`);
    if (!mapped) return;
    const ts = typeof alert.dateTime === 'string' ? Date.parse(alert.dateTime) : NaN;
    const card = [ace.cardNo, ace.employeeNoString].find((c) => (typeof c === 'string' && c !== '') || typeof c === 'number');
    await this.emit(mapped, ts, Number(ace.serialNo), {
      major,
      minor,
      ...(ace.doorNo !== undefined ? { door_no: Number(ace.doorNo) } : {}),
      ...(typeof ace.currentVerifyMode === 'string' ? { verify_mode: ace.currentVerifyMode } : {}),
    }, card);
  }

  /** A Dahua part: `Code=AccessControl;action=Pulse;index=0;data={...}` (or a `Heartbeat`). */
  private async onDahua(text: string): Promise<void> {
    this.pictureFor = undefined;
    const m = /^Code=([A-Za-z]+);action=([A-Za-z]+);index=(\d+)(?:;data=([\s\S]*))?$/.exec(text.trim());
    if (!m) return; // Heartbeat and anything else
    const [, code, action, index, dataText] = m;
    if (action === 'Stop') return;
    const data = (dataText ? JSON.parse(dataText) : {}) as Record<string, unknown>;
    const ts = typeof data.UTC === 'number' ? data.UTC * 1000 : NaN;
    if (code === 'DoorStatus') {
      const door = data.Status === 'Open' ? 'open' : data.Status === 'Close' ? 'closed' : undefined;
      if (door) await this.emit(`door:${door}`, ts, NaN, {}, undefined);
      return;
    }
    const mapped = this.events.get(`${code}/${String(data.Status)}`) ?? this.events.get(code!);
    if (!mapped) return;
    await this.emit(mapped, ts, Number(data.RecNo), {
      door_no: Number(index),
      ...(data.Method !== undefined ? { verify_method: Number(data.Method) } : {}),
      ...(data.ErrorCode !== undefined ? { error_code: Number(data.ErrorCode) } : {}),
    }, [data.CardNo, data.UserID].find((c) => (typeof c === 'string' && c !== '') || typeof c === 'number'));
  }

  /** One gate message, as an MQTT gate would publish it, through the push path. */
  private async emit(mapped: string, ts: number, serial: number, extras: Record<string, number | string>, card: unknown): Promise<void> {
    const { deviceId } = this.o.controller;
    const device = this.o.registry.get(deviceId);
    if (!device || device.kind !== 'gate') return this.warn.warn('isapi_device', { controller: deviceId }, 'access controller is not provisioned as a gate');
    const seq = Number.isSafeInteger(serial) && serial >= 0 ? serial : undefined;
    const envelope = { ...(Number.isFinite(ts) ? { ts } : {}), ...(seq !== undefined ? { seq } : {}) };
    const message: PushMessage = mapped.startsWith('door:')
      ? { device, channel: 'telemetry', payload: { ...envelope, door: mapped.slice(5) } }
      : {
          device,
          channel: 'event',
          payload: {
            ...envelope,
            type: mapped,
            ...extras,
            // Who it was stays at the controller; the hub keeps only a hash to tell repeats apart.
            ...(card !== undefined ? { credential_hash: createHash('sha256').update(`${deviceId}:${String(card)}`).digest('hex').slice(0, 16) } : {}),
          },
        };
    const before = (this.o.clock ?? Date.now)();
    const answer = await this.o.ingest.submit([{ ...(seq !== undefined ? { key: `${this.o.controller.vendor}/${deviceId}/${seq}` } : {}), messages: [message] }], Buffer.from(JSON.stringify(message.payload).slice(0, 400)));
    if (answer.status !== 200) return this.warn.warn('isapi_refused', { controller: deviceId, status: answer.status, body: answer.body }, 'access controller event refused');
    const raised = this.o.alerts.unresolved().find((a) => a.deviceId === deviceId && a.lastSeenAt >= before);
    if (raised) this.pictureFor = { alertId: raised.id };
  }

  private onPicture(jpeg: Buffer): void {
    const target = this.pictureFor;
    this.pictureFor = undefined;
    // Pictures of routine passes are not kept: only those of an event that raised an alert.
    if (!target || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return;
    const cameraId = this.o.controller.deviceId;
    const file = this.o.snapshots.save(target.alertId, cameraId, jpeg);
    this.o.alerts.attachSnapshot(target.alertId, { url: `/api/alerts/${target.alertId}/snapshots/${file}`, cameraId, takenAt: (this.o.clock ?? Date.now)() }, jpeg.length);
  }
}

/** Every configured controller's client: started with the hub, stopped before the spool closes. */
export class AccessControllers {
  readonly clients: IsapiClient[];

  constructor(controllers: readonly AccessController[], deps: Omit<IsapiClientOptions, 'controller'>) {
    // Built with the hub's parts (the push route needs them), started with the hub.
    this.clients = controllers.map((controller) => new IsapiClient({ ...deps, controller, log: deps.log.child({ controller: controller.deviceId }) }));
  }

  start(): void {
    for (const c of this.clients) c.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.stop()));
  }

  /** The client of a push-mode controller, if the token is its own. */
  pushClient(deviceId: string, token: string | undefined): IsapiClient | 'unknown' | 'bad_token' {
    const client = this.clients.find((c) => c.controller.deviceId === deviceId && c.controller.vendor === 'hikvision' && c.controller.pushToken);
    if (!client) return 'unknown';
    return token && sameSecret(token, client.controller.pushToken!) ? client : 'bad_token';
  }
}
