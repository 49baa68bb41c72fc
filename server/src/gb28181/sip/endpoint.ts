import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { StreamFramer } from './framer.ts';
import {
  DEFAULT_SIP_LIMITS,
  header,
  parseCSeq,
  parseMessage,
  responseTo,
  serialize,
  SipParseError,
  viaOf,
  type Header,
  type SipLimits,
  type SipMessage,
  type SipParseReason,
  type SipRequest,
  type SipResponse,
} from './message.ts';
import { ClientTransaction, realScheduler, ServerTransaction, type Scheduler, type SipTimers } from './transaction.ts';

export type Transport = 'udp' | 'tcp';
export interface Peer {
  transport: Transport;
  host: string;
  port: number;
}

export const peerKey = (p: Peer) => `${p.transport}:${p.host}:${p.port}`;

export interface IncomingRequest {
  req: SipRequest;
  from: Peer;
  /** Answers through the request's server transaction (once with a final status). */
  reply(status: number, reason: string, extra?: Header[], body?: Buffer): void;
}

export interface SipEndpointOptions {
  host: string;
  port: number;
  /** The host put in Via and Contact; defaults to `host` (0.0.0.0 becomes 127.0.0.1). */
  advertisedHost?: string;
  limits?: SipLimits;
  scheduler?: Scheduler;
  timers?: SipTimers;
  /** Most open TCP connections; past it new ones are closed at once. */
  maxConnections?: number;
  /** Most server transactions at once; past it requests get 503. */
  maxTransactions?: number;
  /** TCP connections silent this long are closed. */
  idleTimeoutMs?: number;
  onRequest: (incoming: IncomingRequest) => void;
  /** Input that does not parse (a UDP datagram, or a TCP message or stream that does not frame). */
  onMalformed: (reason: SipParseReason, detail: string, bytes: Buffer, from: Peer) => void;
}

export class SipTimeoutError extends Error {}

/**
 * A SIP endpoint on one port over UDP and TCP: parses, matches responses to client transactions
 * and retransmitted requests to server transactions (RFC 3261 §17.1.3, §17.2.3), sends requests
 * over the peer's own TCP connection when it has one.
 */
export class SipEndpoint {
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;
  private readonly conns = new Map<string, net.Socket>();
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly limits: SipLimits;
  private readonly scheduler: Scheduler;
  private boundPort = 0;

  constructor(private readonly o: SipEndpointOptions) {
    this.limits = o.limits ?? DEFAULT_SIP_LIMITS;
    this.scheduler = o.scheduler ?? realScheduler;
  }

  get port(): number {
    return this.boundPort;
  }

  get host(): string {
    return this.o.advertisedHost ?? (this.o.host === '0.0.0.0' || this.o.host === '::' ? '127.0.0.1' : this.o.host);
  }

  get pendingTransactions(): number {
    return this.clients.size + this.servers.size;
  }

  async start(): Promise<void> {
    // With port 0 the UDP port is picked first and TCP may find it taken: pick again.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.bind();
      } catch (err) {
        await this.stop();
        if (this.o.port !== 0 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw err;
      }
    }
  }

  private async bind(): Promise<void> {
    const udp = dgram.createSocket(net.isIPv6(this.o.host) ? 'udp6' : 'udp4');
    this.udp = udp;
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.o.port, this.o.host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', () => {}); // ICMP unreachable after a send to a gone device
    udp.on('message', (data, rinfo) => this.onDatagram(data, { transport: 'udp', host: rinfo.address, port: rinfo.port }));
    this.boundPort = udp.address().port;
    const tcp = net.createServer((socket) => this.adopt(socket));
    this.tcp = tcp;
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(this.boundPort, this.o.host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    for (const t of [...this.clients.values()]) t.terminate();
    for (const t of [...this.servers.values()]) t.terminate();
    for (const s of this.conns.values()) s.destroy();
    this.conns.clear();
    const tcp = this.tcp;
    this.tcp = undefined;
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
    const udp = this.udp;
    this.udp = undefined;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
  }

  /** A fresh Via branch with the RFC 3261 magic cookie. */
  static branch(): string {
    return `z9hG4bK${randomBytes(8).toString('hex')}`;
  }

  static tag(): string {
    return randomBytes(6).toString('hex');
  }

  viaFor(transport: Transport, branch: string): string {
    return `SIP/2.0/${transport.toUpperCase()} ${this.host}:${this.port};rport;branch=${branch}`;
  }

  /**
   * Sends a request in a new client transaction and resolves with its final response; rejects
   * with SipTimeoutError when Timer F fires. The Via is put on top here.
   */
  request(req: SipRequest, to: Peer): Promise<SipResponse> {
    const branch = SipEndpoint.branch();
    req.headers = [['Via', this.viaFor(to.transport, branch)], ...req.headers.filter(([n]) => n !== 'Via')];
    if (!header(req, 'Max-Forwards')) req.headers.push(['Max-Forwards', '70']);
    const key = `${branch}|${req.method}`;
    const bytes = serialize(req);
    return new Promise<SipResponse>((resolve, reject) => {
      const tx = new ClientTransaction({
        request: req,
        reliable: to.transport === 'tcp',
        send: () => this.sendRaw(bytes, to),
        scheduler: this.scheduler,
        ...(this.o.timers ? { timers: this.o.timers } : {}),
        onResponse: (res) => {
          if (res.status >= 200) resolve(res);
        },
        onTimeout: () => reject(new SipTimeoutError(`no answer to ${req.method} from ${peerKey(to)} within 64·T1`)),
        onTerminated: () => this.clients.delete(key),
      });
      this.clients.set(key, tx);
      tx.start();
    });
  }

  /** Bytes as they are, outside any transaction (also how simulators misbehave). */
  sendRaw(bytes: Buffer, to: Peer): void {
    if (to.transport === 'udp') {
      this.udp?.send(bytes, to.port, to.host);
      return;
    }
    let socket = this.conns.get(peerKey(to));
    if (!socket || socket.destroyed) {
      socket = net.connect(to.port, to.host);
      socket.on('error', () => socket!.destroy());
      this.adopt(socket, to);
    }
    socket.write(bytes);
  }

  private adopt(socket: net.Socket, known?: Peer): void {
    if (!known && this.conns.size >= (this.o.maxConnections ?? 4096)) {
      socket.destroy();
      return;
    }
    const peer: Peer = known ?? { transport: 'tcp', host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    const key = peerKey(peer);
    this.conns.set(key, socket);
    socket.setTimeout(this.o.idleTimeoutMs ?? 10 * 60_000, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.conns.get(key) === socket) this.conns.delete(key);
    });
    const framer = new StreamFramer(this.limits);
    socket.on('data', (data: Buffer) => {
      let out: ReturnType<StreamFramer['push']>;
      try {
        out = framer.push(data);
      } catch (err) {
        // A stream that does not frame cannot be resynchronised.
        if (err instanceof SipParseError) this.o.onMalformed(err.reason, err.message, data, peer);
        socket.destroy();
        return;
      }
      for (const m of out) {
        if (m instanceof SipParseError) this.o.onMalformed(m.reason, m.message, data, peer);
        else this.dispatch(m, peer);
      }
    });
  }

  private onDatagram(data: Buffer, from: Peer): void {
    // RFC 5626 keep-alive pings (CRLF) carry no message.
    if (data.length <= 4 && data.toString('latin1').trim() === '') return;
    let msg: SipMessage;
    try {
      msg = parseMessage(data, this.limits);
    } catch (err) {
      if (!(err instanceof SipParseError)) throw err;
      this.o.onMalformed(err.reason, err.message, data, from);
      return;
    }
    this.dispatch(msg, from);
  }

  private dispatch(msg: SipMessage, from: Peer): void {
    const via = viaOf(msg)!;
    const branch = via.params.get('branch') ?? '';
    if (msg.kind === 'response') {
      this.clients.get(`${branch}|${parseCSeq(header(msg, 'CSeq')!)!.method}`)?.receive(msg);
      return;
    }
    if (msg.method === 'ACK') return; // no INVITE transactions here
    const key = `${branch}|${via.host}:${via.port ?? ''}|${msg.method}`;
    const existing = this.servers.get(key);
    if (existing) {
      existing.retransmitted();
      return;
    }
    // Each UDP server transaction lives 64·T1 after its answer: a flood must not grow them without bound.
    if (this.servers.size >= (this.o.maxTransactions ?? 20_000)) {
      this.sendRaw(serialize(responseTo(msg, 503, 'Service Unavailable', [['Retry-After', '5']])), from);
      return;
    }
    // Responses go back where the request came from (RFC 3581 rport), which also crosses NAT.
    const viaIndex = msg.headers.findIndex(([n]) => n === 'Via');
    const top = msg.headers[viaIndex]![1];
    const first = top.split(',')[0]!;
    const kept = first.split(';').filter((p) => !/^\s*(rport|received)\s*(=|$)/i.test(p));
    msg.headers[viaIndex] = ['Via', top.replace(first, `${kept.join(';')};received=${from.host};rport=${from.port}`)];
    const tx = new ServerTransaction({
      reliable: from.transport === 'tcp',
      send: (res) => this.sendRaw(serialize(res), from),
      scheduler: this.scheduler,
      ...(this.o.timers ? { timers: this.o.timers } : {}),
      onTerminated: () => this.servers.delete(key),
    });
    this.servers.set(key, tx);
    const toTag = SipEndpoint.tag();
    this.o.onRequest({
      req: msg,
      from,
      reply: (status, reason, extra = [], body = Buffer.alloc(0)) => tx.respond(responseTo(msg, status, reason, extra, body, toTag)),
    });
  }
}
