import type net from 'node:net';
import type { ConnectionRefusal } from '../auth/broker-auth.ts';

export interface ConnectionLimits {
  /** Open connections per source address (a NAT'd building of devices shares one). */
  perAddress: number;
  /** Connections per source address that have not logged in yet. */
  pendingPerAddress: number;
  /** Declared size of the CONNECT packet (client id, will, username, password). */
  connectBytes: number;
  /** Everything read from a connection before it has logged in: the CONNECT and, from a client that does not wait for the CONNACK, one contract-size publish. */
  preAuthBytes: number;
  /** Any packet after login: Mosquitto's message_size_limit plus room for the topic. */
  packetBytes: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  perAddress: 1000,
  pendingPerAddress: 64,
  connectBytes: 8 * 1024,
  preAuthBytes: 32 * 1024,
  packetBytes: 1024 * 1024 + 64 * 1024,
};

/**
 * The unit a per-address cap counts: an IPv4 address, or an IPv6 /64 (one site's subnet: its hosts
 * can pick any of 2^64 addresses, so counting single IPv6 addresses would cap nothing).
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  if (!address.includes(':') || /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address)) return address.replace(/^::ffff:/i, '');
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => (parseInt(g, 16) || 0).toString(16)).join(':')}::/64`;
}

interface Ticket {
  address: string;
  pending: boolean;
  authenticated: boolean;
}

/**
 * Stands between the listeners and aedes. aedes (through mqtt-packet) buffers a packet until its
 * declared length has arrived, before it knows who is talking, so a CONNECT declaring 256 MB
 * would be held in memory unauthenticated. The guard reads each packet's fixed header as aedes
 * pulls bytes off the socket and closes the connection the moment a declared length exceeds the
 * bound for its stage; it also caps connections per source address.
 */
export class ConnectionGuard {
  private readonly open = new Map<string, number>();
  private readonly pending = new Map<string, number>();
  private readonly tickets = new WeakMap<object, Ticket>();
  /** TLS: the raw socket is admitted at 'connection', the TLS socket arrives after the handshake. */
  private readonly byPeer = new Map<string, Ticket>();

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly refuse: (reason: ConnectionRefusal, detail: Record<string, unknown>) => void,
  ) {}

  /** Counts a new connection; false (and the socket destroyed) when its address is over a cap. */
  admit(socket: net.Socket): boolean {
    const address = addressKey(socket.remoteAddress);
    const open = this.open.get(address) ?? 0;
    const pending = this.pending.get(address) ?? 0;
    if (open >= this.limits.perAddress || pending >= this.limits.pendingPerAddress) {
      this.refuse(open >= this.limits.perAddress ? 'too_many_connections' : 'too_many_pending', { address });
      socket.destroy();
      return false;
    }
    const ticket: Ticket = { address, pending: true, authenticated: false };
    this.open.set(address, open + 1);
    this.pending.set(address, pending + 1);
    this.tickets.set(socket, ticket);
    const peer = `${socket.remoteAddress}|${socket.remotePort}`;
    this.byPeer.set(peer, ticket);
    socket.once('close', () => {
      this.byPeer.delete(peer);
      this.settle(ticket);
      const n = (this.open.get(address) ?? 1) - 1;
      if (n <= 0) this.open.delete(address);
      else this.open.set(address, n);
    });
    return true;
  }

  /** The TLS socket of an admitted raw connection. */
  adopt(secure: net.Socket): void {
    const ticket = this.byPeer.get(`${secure.remoteAddress}|${secure.remotePort}`);
    if (ticket) this.tickets.set(secure, ticket);
  }

  /** The connection logged in: no longer pending, and packets up to packetBytes are allowed. */
  authenticated(socket: unknown): void {
    const ticket = typeof socket === 'object' && socket ? this.tickets.get(socket) : undefined;
    if (!ticket) return;
    ticket.authenticated = true;
    this.settle(ticket);
  }

  private settle(ticket: Ticket): void {
    if (!ticket.pending) return;
    ticket.pending = false;
    const n = (this.pending.get(ticket.address) ?? 1) - 1;
    if (n <= 0) this.pending.delete(ticket.address);
    else this.pending.set(ticket.address, n);
  }

  /**
   * Wraps the socket's read(): aedes pulls with read() on 'readable', so this sees every byte
   * before the parser does, without another stream in the path. Work per chunk is per packet
   * header, not per byte.
   */
  watch(socket: net.Socket): void {
    const ticket = this.tickets.get(socket);
    if (!ticket) return;
    const { limits } = this;
    const read = socket.read.bind(socket);
    let header: number[] = [];
    let body = 0;
    let first = true;
    let seen = 0;
    const fail = (reason: ConnectionRefusal, declared?: number) => {
      this.refuse(reason, { address: ticket.address, ...(declared !== undefined ? { declaredBytes: declared } : {}) });
      socket.destroy();
      return null;
    };
    socket.read = ((size?: number) => {
      const chunk = read(size) as Buffer | string | null;
      if (chunk === null || typeof chunk === 'string') return chunk;
      seen += chunk.length;
      if (!ticket.authenticated && seen > limits.preAuthBytes) return fail('preauth_too_large', seen);
      let i = 0;
      while (i < chunk.length) {
        if (body > 0) {
          const take = Math.min(body, chunk.length - i);
          body -= take;
          i += take;
          continue;
        }
        const byte = chunk[i++]!;
        header.push(byte);
        if (header.length === 1) continue;
        if (byte & 0x80) {
          if (header.length === 5) return fail('packet_too_large');
          continue;
        }
        let length = 0;
        for (let k = header.length - 1; k >= 1; k--) length = length * 128 + (header[k]! & 0x7f);
        if (first) {
          if (header[0]! >> 4 !== 1) return fail('not_connect_first');
          if (length > limits.connectBytes) return fail('preauth_too_large', length);
          first = false;
        } else if (length > (ticket.authenticated ? limits.packetBytes : limits.preAuthBytes)) {
          return fail(ticket.authenticated ? 'packet_too_large' : 'preauth_too_large', length);
        }
        body = length;
        header = [];
      }
      return chunk;
    }) as typeof socket.read;
  }
}
