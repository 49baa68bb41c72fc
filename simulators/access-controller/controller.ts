import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DigestGuard } from '../onvif-camera/http-digest.ts';

export interface AccessEvent {
  major: number;
  minor: number;
  serialNo: number;
  dateTime: string;
  cardNo?: string;
  doorNo?: number;
}

/** A tiny JPEG-looking picture: SOI, some bytes (boundary-like text included), EOI. */
export function fakeJpeg(tag: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(`\r\n--MIME_boundary\r\n${tag}`), Buffer.from([0xff, 0xd9])]);
}

/**
 * A Hikvision access controller's ISAPI alertStream as the hub meets it: Digest-protected
 * (RFC 7616 MD5, qop=auth), then an endless multipart/mixed stream of EventNotificationAlert
 * parts (JSON or XML), each optionally followed by its picture, and heartbeats in between.
 */
export class SimAccessController {
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private readonly guard = new DigestGuard('IP Camera(C1234)');
  private readonly open = new Set<http.ServerResponse>();
  /** Streams answered 200, and requests refused 401 after a Digest attempt. */
  streams = 0;
  refusedDigest = 0;
  challenges = 0;
  url = '';

  /** Dahua: the attach URL's query, as the controller received it. */
  attachQuery = '';

  constructor(
    private readonly username: string,
    private readonly password: string,
    private readonly boundary = 'MIME_boundary',
    /** 'dahua': /cgi-bin/eventManager.cgi?action=attach, multipart/x-mixed-replace of text/plain parts */
    private readonly vendor: 'hikvision' | 'dahua' = 'hikvision',
  ) {}

  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => this.server.once('error', reject).listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const r of this.open) r.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get connected(): number {
    return this.open.size;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const dahua = this.vendor === 'dahua';
    const url = new URL(req.url ?? '/', 'http://x');
    const known = dahua ? url.pathname === '/cgi-bin/eventManager.cgi' && url.searchParams.get('action') === 'attach' : req.url === '/ISAPI/Event/notification/alertStream';
    if (req.method !== 'GET' || !known) {
      res.writeHead(404).end();
      return;
    }
    if (dahua) this.attachQuery = decodeURIComponent(url.search);
    const auth = req.headers.authorization;
    if (!this.guard.verify(auth, 'GET', this.username, this.password)) {
      if (auth) this.refusedDigest++;
      else this.challenges++;
      res.writeHead(401, { 'www-authenticate': this.guard.challenge(), 'content-type': 'text/html' }).end('<html>401 Unauthorized</html>');
      return;
    }
    this.streams++;
    res.writeHead(200, { 'content-type': `${dahua ? 'multipart/x-mixed-replace' : 'multipart/mixed'}; boundary=${this.boundary}`, connection: 'close' });
    this.open.add(res);
    res.on('close', () => this.open.delete(res));
    if (dahua) this.write('text/plain', Buffer.from('Heartbeat'));
    else this.heartbeat();
  }

  private write(contentType: string, body: Buffer, withLength = true): void {
    const head = `--${this.boundary}\r\nContent-Type: ${contentType}\r\n${withLength ? `Content-Length: ${body.length}\r\n` : ''}\r\n`;
    for (const r of this.open) r.write(Buffer.concat([Buffer.from(head), body, Buffer.from('\r\n')]));
  }

  heartbeat(): void {
    this.write('application/json; charset="UTF-8"', Buffer.from(JSON.stringify({ ipAddress: '127.0.0.1', dateTime: new Date().toISOString(), activePostCount: 1, eventType: 'videoloss', eventState: 'inactive', eventDescription: 'videoloss alarm' })));
  }

  static json(e: AccessEvent): Buffer {
    return Buffer.from(
      JSON.stringify({
        ipAddress: '127.0.0.1',
        portNo: 80,
        protocol: 'HTTP',
        dateTime: e.dateTime,
        activePostCount: 1,
        eventType: 'AccessControllerEvent',
        eventState: 'active',
        eventDescription: 'Access Controller Event',
        AccessControllerEvent: {
          deviceName: 'Access Controller',
          majorEventType: e.major,
          subEventType: e.minor,
          ...(e.cardNo ? { cardNo: e.cardNo, cardType: 1 } : {}),
          name: '张三',
          employeeNoString: '1001',
          doorNo: e.doorNo ?? 1,
          serialNo: e.serialNo,
          currentVerifyMode: 'cardOrFace',
          picturesNumber: 1,
        },
      }),
    );
  }

  static xml(e: AccessEvent): Buffer {
    return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
<ipAddress>127.0.0.1</ipAddress>
<dateTime>${e.dateTime}</dateTime>
<activePostCount>1</activePostCount>
<eventType>AccessControllerEvent</eventType>
<eventState>active</eventState>
<AccessControllerEvent>
<majorEventType>${e.major}</majorEventType>
<subEventType>${e.minor}</subEventType>
${e.cardNo ? `<cardNo>${e.cardNo}</cardNo>` : ''}
<doorNo>${e.doorNo ?? 1}</doorNo>
<serialNo>${e.serialNo}</serialNo>
</AccessControllerEvent>
</EventNotificationAlert>`);
  }

  send(e: AccessEvent, o: { format?: 'json' | 'xml'; picture?: Buffer; withLength?: boolean } = {}): void {
    if (o.format === 'xml') this.write('application/xml; charset="UTF-8"', SimAccessController.xml(e), o.withLength ?? true);
    else this.write('application/json; charset="UTF-8"', SimAccessController.json(e), o.withLength ?? true);
    if (o.picture) this.write('image/jpeg', o.picture);
  }

  /** Writes an event part's headers and half its body, then drops every stream. */
  dropMidEvent(e: AccessEvent): void {
    const body = SimAccessController.json(e);
    const head = `--${this.boundary}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    for (const r of this.open) {
      r.write(Buffer.concat([Buffer.from(head), body.subarray(0, body.length >> 1)]));
      r.socket?.destroy();
    }
  }

  /** A Dahua event part: `Code=…;action=…;index=…;data={…}`. */
  sendDahua(code: string, action: string, index: number, data?: Record<string, unknown>): void {
    this.write('text/plain', Buffer.from(`Code=${code};action=${action};index=${index}${data ? `;data=${JSON.stringify(data, null, 3)}` : ''}`));
  }

  /** Raw bytes to every stream (malformed parts). */
  raw(bytes: string | Buffer): void {
    for (const r of this.open) r.write(bytes);
  }
}
