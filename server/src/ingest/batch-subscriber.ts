import net from 'node:net';
import tls from 'node:tls';
import mqttPacket, { type Packet, type Parser } from 'mqtt-packet';
import type { Logger } from '../log.ts';

export interface InboundMessage {
  topic: string;
  payload: Buffer;
  /** The broker's retain flag: set on a replay at a new subscription. */
  retain?: boolean;
}

export interface BatchSubscriberOptions {
  /** mqtt://, tcp://, mqtts:// or ssl:// */
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** Trusted CA certificates for mqtts:// (Node's default store when unset). */
  ca?: Buffer;
  topics: string[];
  keepaliveS?: number;
  reconnectMs?: number;
  log: Logger;
  /**
   * Every message of one socket read, in order. Call `ack` once they are durably spooled (or
   * rejected): their PUBACKs go out together, and the socket is read again only after that.
   */
  onBatch: (messages: InboundMessage[], ack: () => void) => void;
  onConnectionChange: (up: boolean) => void;
  /** For the logs. */
  lane?: string;
  /**
   * Keep reading while batches wait for `ack`, up to this many unacknowledged messages; their
   * PUBACKs still go out strictly in the order the PUBLISHes arrived (MQTT 3.1.1 §4.6). Unset:
   * nothing more is read until the pending batch is acknowledged.
   */
  maxHeldMessages?: number;
  /**
   * How long to gather messages before handing them over (default 2 ms). 0: each socket read at
   * once; the events lane, where an alarm must not wait for company.
   */
  coalesceMs?: number;
}

const PROTOCOL = { protocolId: 'MQTT', protocolVersion: 4 } as const;

/** Messages read within this window are spooled and acknowledged together. */
const COALESCE_MS = 2;
const MAX_BATCH = 4096;
const MAX_OUTGOING = 10_000;

function writeAcks(acks: number[], socket: net.Socket): void {
  if (acks.length === 0 || socket.destroyed) return;
  const out = Buffer.allocUnsafe(acks.length * 4);
  acks.forEach((id, i) => {
    // PUBACK (0x40) for QoS 1, PUBREC (0x50) for QoS 2 (stored negated); remaining length 2.
    out[i * 4] = id < 0 ? 0x50 : 0x40;
    out[i * 4 + 1] = 2;
    out.writeUInt16BE(Math.abs(id), i * 4 + 2);
  });
  socket.write(out);
}

/**
 * An MQTT 3.1.1 subscriber for both lanes: QoS 1, persistent session, and acknowledgements in
 * batches (and, for the events lane, QoS 1 publication of the hub's alerts).
 *
 * mqtt.js hands messages over one per tick and writes each PUBACK with its own write(2); at
 * 10,000 msg/s that was the largest cost in the hub's profile (see docs/performance.md). Here
 * what arrives within a couple of milliseconds is parsed (by mqtt-packet), spooled with one
 * write(2), and acknowledged with one socket write. The guarantee is unchanged: no PUBACK
 * before the message is in the spool. Alarms do not wait behind telemetry: they travel on the
 * events lane, its own connection.
 */
export class BatchSubscriber {
  private socket: net.Socket | undefined;
  private parser: Parser | undefined;
  private up = false;
  private stopped = false;
  private nextId = 1;
  private lastReceivedAt = 0;
  private holding = false;
  private errorLogged = false;
  private batch: InboundMessage[] = [];
  /** Message ids to acknowledge once `batch` is spooled: QoS 1 as is, QoS 2 negated. */
  private acks: number[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private firstConnect: { resolve: () => void } | undefined;
  /** QoS 2 ids received and not yet released; the broker downgrades to QoS 1, so only in case. */
  private readonly qos2Pending = new Set<number>();
  /** Batches handed over and not all acknowledged yet, in arrival order (keep-reading mode). */
  private pending: { acks: number[]; count: number; acked: boolean }[] = [];
  private heldMessages = 0;
  /** Our QoS 1 publications not yet acknowledged by the broker: sent again (dup) on reconnect. */
  private readonly outgoing = new Map<number, { topic: string; payload: Buffer }>();

  constructor(private readonly o: BatchSubscriberOptions) {}

  static supports(url: string): boolean {
    return /^(mqtts?|tcp|ssl):\/\//.test(url);
  }

  get connected(): boolean {
    return this.up;
  }

  /** Resolves on the first subscribed connection; it keeps reconnecting on its own. */
  start(): Promise<void> {
    this.stopped = false;
    return new Promise((resolve) => {
      this.firstConnect = { resolve };
      this.connect();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.keepaliveTimer);
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    this.flush(socket);
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      // Destroy once DISCONNECT is written: a socket paused for backpressure would never see the broker's close.
      if (this.up) socket.end(mqttPacket.generate({ cmd: 'disconnect' }), () => socket.destroy());
      else socket.destroy();
      setTimeout(() => socket.destroy(), 2000).unref();
    });
  }

  private connect(): void {
    const url = new URL(this.o.url);
    const secure = url.protocol === 'mqtts:' || url.protocol === 'ssl:';
    const port = Number(url.port) || (secure ? 8883 : 1883);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const socket = secure ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ...(this.o.ca ? { ca: this.o.ca } : {}) }) : net.connect({ host, port });
    socket.setNoDelay(true);
    const parser = mqttPacket.parser(PROTOCOL);
    this.socket = socket;
    this.parser = parser;
    this.holding = false;
    this.batch = [];
    this.acks = [];
    this.pending = [];
    this.heldMessages = 0;
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    parser.on('packet', (packet: Packet) => this.onPacket(packet, socket));
    parser.on('error', (err: Error) => {
      this.o.log.error({ err: err.message, url: this.o.url }, 'MQTT protocol error from the broker; reconnecting');
      socket.destroy();
    });
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      this.lastReceivedAt = Date.now();
      socket.write(
        mqttPacket.generate({
          cmd: 'connect',
          ...PROTOCOL,
          clientId: this.o.clientId,
          clean: false,
          keepalive: this.keepaliveS,
          ...(this.o.username !== undefined ? { username: this.o.username } : {}),
          ...(this.o.password !== undefined ? { password: Buffer.from(this.o.password) } : {}),
        }),
      );
    });
    socket.on('data', (chunk: Buffer) => {
      this.lastReceivedAt = Date.now();
      parser.parse(chunk);
      if (this.batch.length >= MAX_BATCH || (this.o.coalesceMs === 0 && (this.batch.length > 0 || this.acks.length > 0))) this.flush(socket);
      else if ((this.batch.length > 0 || this.acks.length > 0) && !this.flushTimer) this.flushTimer = setTimeout(() => this.flush(socket), this.o.coalesceMs ?? COALESCE_MS);
    });
    socket.on('error', (err) => {
      // Once per outage: a broker that is down for a minute would otherwise log every retry.
      if (this.stopped || this.errorLogged) return;
      this.errorLogged = true;
      this.o.log.error({ err: err.message, url: this.o.url, lane: this.lane }, 'MQTT connection error; retrying every second');
    });
    socket.once('close', () => this.onClose(socket));
  }

  private get lane(): string {
    return this.o.lane ?? 'telemetry';
  }

  /**
   * QoS 0 is sent only while connected; QoS 1 is kept until the broker's PUBACK and sent again
   * (with dup) after a reconnect.
   */
  publish(topic: string, payload: string | Buffer, qos: 0 | 1 = 1): void {
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const socket = this.socket;
    if (qos === 0) {
      if (this.up && socket && !socket.destroyed) socket.write(mqttPacket.generate({ cmd: 'publish', topic, payload: body, qos: 0, retain: false, dup: false }));
      return;
    }
    const id = this.messageId();
    // A broker that never answers must not grow this without end: the oldest alert update goes.
    if (this.outgoing.size >= MAX_OUTGOING) this.outgoing.delete(this.outgoing.keys().next().value!);
    this.outgoing.set(id, { topic, payload: body });
    if (this.up && socket && !socket.destroyed) socket.write(mqttPacket.generate({ cmd: 'publish', topic, payload: body, qos: 1, messageId: id, retain: false, dup: false }));
  }

  private get keepaliveS(): number {
    return this.o.keepaliveS ?? 30;
  }

  /** Hands the gathered messages over; their acknowledgements wait for the handler's `ack`. */
  private flush(socket: net.Socket): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.socket !== socket || (this.batch.length === 0 && this.acks.length === 0)) return;
    const messages = this.batch;
    const acks = this.acks;
    this.batch = [];
    this.acks = [];
    if (this.o.maxHeldMessages !== undefined) return this.flushKeepReading(socket, messages, acks);
    let acked = false;
    let sync = true;
    this.o.onBatch(messages, () => {
      if (acked) return;
      acked = true;
      writeAcks(acks, socket);
      if (!sync) {
        this.holding = false;
        socket.resume();
      }
    });
    sync = false;
    if (!acked) {
      // Backpressure: nothing more is read (and so nothing more is acknowledged) until this batch is spooled.
      this.holding = true;
      socket.pause();
    }
  }

  /**
   * A held batch must not stop the batches behind it from being handled (an alarm behind held
   * routine events), but its PUBACKs must not be overtaken either: acks go out from the head of
   * the queue only.
   */
  private flushKeepReading(socket: net.Socket, messages: InboundMessage[], acks: number[]): void {
    const entry = { acks, count: messages.length, acked: false };
    this.pending.push(entry);
    this.heldMessages += entry.count;
    this.o.onBatch(messages, () => {
      if (entry.acked || this.socket !== socket) return;
      entry.acked = true;
      let out: number[] = [];
      while (this.pending[0]?.acked) {
        const done = this.pending.shift()!;
        this.heldMessages -= done.count;
        out = out.length === 0 ? done.acks : out.concat(done.acks);
      }
      writeAcks(out, socket);
      if (this.holding && this.heldMessages < this.o.maxHeldMessages!) {
        this.holding = false;
        socket.resume();
      }
    });
    if (!this.holding && this.heldMessages >= this.o.maxHeldMessages!) {
      this.holding = true;
      socket.pause();
    }
  }

  private onPacket(packet: Packet, socket: net.Socket): void {
    const { batch, acks } = this;
    switch (packet.cmd) {
      case 'publish':
        if (packet.qos === 2) {
          // Exactly-once handshake: deliver on the first PUBLISH, answer PUBREC until PUBREL.
          if (!this.qos2Pending.has(packet.messageId!)) batch.push({ topic: packet.topic, payload: packet.payload as Buffer, retain: packet.retain });
          this.qos2Pending.add(packet.messageId!);
          acks.push(-packet.messageId!);
          return;
        }
        batch.push({ topic: packet.topic, payload: packet.payload as Buffer, retain: packet.retain });
        if (packet.qos === 1) acks.push(packet.messageId!);
        return;
      case 'puback':
        this.outgoing.delete(packet.messageId!);
        return;
      case 'pubrel':
        this.qos2Pending.delete(packet.messageId!);
        socket.write(mqttPacket.generate({ cmd: 'pubcomp', messageId: packet.messageId! }));
        return;
      case 'connack':
        if (packet.returnCode !== 0) {
          this.o.log.error({ url: this.o.url, clientId: this.o.clientId, returnCode: packet.returnCode }, 'the broker refused the hub (check MQTT credentials)');
          socket.destroy();
          return;
        }
        this.o.log.info({ url: this.o.url, lane: this.lane, clientId: this.o.clientId, sessionPresent: packet.sessionPresent }, 'connected to MQTT broker');
        socket.write(
          mqttPacket.generate({ cmd: 'subscribe', messageId: this.messageId(), subscriptions: this.o.topics.map((topic) => ({ topic, qos: 1 as const })) }),
        );
        return;
      case 'suback': {
        const refused = this.o.topics.filter((_, i) => packet.granted[i] === 128);
        if (refused.length) this.o.log.error({ topics: refused, lane: this.lane }, 'MQTT subscribe refused');
        for (const [messageId, m] of this.outgoing) socket.write(mqttPacket.generate({ cmd: 'publish', topic: m.topic, payload: m.payload, qos: 1, messageId, retain: false, dup: true }));
        this.setUp(true);
        this.startKeepalive(socket);
        this.firstConnect?.resolve();
        this.firstConnect = undefined;
        return;
      }
      default:
        return; // pingresp and anything else: lastReceivedAt is all they tell
    }
  }

  private startKeepalive(socket: net.Socket): void {
    clearInterval(this.keepaliveTimer);
    const periodMs = (this.keepaliveS * 1000) / 2;
    this.keepaliveTimer = setInterval(() => {
      // While holding for backpressure the socket is not read, so silence proves nothing.
      if (!this.holding && Date.now() - this.lastReceivedAt > this.keepaliveS * 1500) {
        this.o.log.warn({ url: this.o.url, lane: this.lane }, 'MQTT broker silent past the keepalive; reconnecting');
        socket.destroy();
        return;
      }
      socket.write(mqttPacket.generate({ cmd: 'pingreq' }));
    }, periodMs);
    this.keepaliveTimer.unref();
  }

  private messageId(): number {
    let id = this.nextId;
    for (let tries = 0; tries < 65535 && this.outgoing.has(id); tries++) id = id >= 65535 ? 1 : id + 1;
    this.nextId = id >= 65535 ? 1 : id + 1;
    return id;
  }

  private setUp(up: boolean): void {
    if (up) this.errorLogged = false;
    if (this.up === up) return;
    this.up = up;
    this.o.onConnectionChange(up);
  }

  private onClose(socket: net.Socket): void {
    if (this.socket !== socket) return;
    clearInterval(this.keepaliveTimer);
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    // Spool what was already read, though it can no longer be acknowledged: after a broker crash
    // nothing would redeliver it. If the broker does redeliver, the store write is idempotent.
    const unspooled = this.batch;
    this.batch = [];
    this.acks = [];
    if (unspooled.length > 0) this.o.onBatch(unspooled, () => {});
    this.parser?.removeAllListeners();
    this.qos2Pending.clear();
    if (this.up) this.o.log.warn({ url: this.o.url, lane: this.lane }, 'MQTT connection lost; reconnecting');
    this.setUp(false);
    if (this.stopped) return;
    this.reconnectTimer = setTimeout(() => this.connect(), this.o.reconnectMs ?? 1000);
  }
}
