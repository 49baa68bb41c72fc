import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamFramer } from '../../server/src/gb28181/sip/framer.ts';
import { header, parseMessage, serialize, SipParseError, viaOf, type SipRequest, type SipResponse } from '../../server/src/gb28181/sip/message.ts';
import { ClientTransaction, ServerTransaction } from '../../server/src/gb28181/sip/transaction.ts';
import { SipEndpoint, SipTimeoutError, type IncomingRequest } from '../../server/src/gb28181/sip/endpoint.ts';
import { ManualScheduler } from './manual-scheduler.ts';

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'utf8');
const register = (extra: string[] = [], body = '') =>
  crlf([
    'REGISTER sip:34020000002000000001@3402000000 SIP/2.0',
    'Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1',
    'f: <sip:34020000001320000001@3402000000>;tag=a1',
    'To: <sip:34020000001320000001@3402000000>',
    'i: call-1',
    'CSeq: 1 REGISTER',
    'Max-Forwards: 70',
    ...extra,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ]);

describe('SIP messages', () => {
  it('parses a request, expanding compact header names, and serializes it back', () => {
    const msg = parseMessage(register(['Expires: 3600'])) as SipRequest;
    expect(msg).toMatchObject({ kind: 'request', method: 'REGISTER', uri: 'sip:34020000002000000001@3402000000' });
    expect(header(msg, 'from')).toBe('<sip:34020000001320000001@3402000000>;tag=a1');
    expect(header(msg, 'Call-ID')).toBe('call-1');
    expect(viaOf(msg)).toMatchObject({ transport: 'UDP', host: '192.168.1.64', port: 5060 });
    expect(viaOf(msg)!.params.get('branch')).toBe('z9hG4bK1');
    const again = parseMessage(serialize(msg)) as SipRequest;
    expect(again.headers).toEqual(msg.headers);
  });

  it('parses a response and a body framed by Content-Length, dropping datagram bytes past it', () => {
    const raw = crlf(['SIP/2.0 200 OK', 'Via: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKx', 'From: <sip:a@b>;tag=1', 'To: <sip:a@b>;tag=2', 'Call-ID: c', 'CSeq: 2 MESSAGE', 'Content-Length: 5', '', 'helloEXTRA']);
    const msg = parseMessage(raw) as SipResponse;
    expect(msg).toMatchObject({ kind: 'response', status: 200, reason: 'OK' });
    expect(msg.body.toString()).toBe('hello');
  });

  it('refuses malformed messages with a reason', () => {
    const reason = (buf: Buffer) => {
      try {
        parseMessage(buf);
        return 'parsed';
      } catch (err) {
        return (err as SipParseError).reason;
      }
    };
    expect(reason(Buffer.from('HELLO WORLD\r\n\r\n'))).toBe('bad_start_line');
    expect(reason(Buffer.from('REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h'))).toBe('incomplete');
    expect(reason(register(['Bad Header Line']))).toBe('bad_header');
    expect(reason(crlf(['MESSAGE sip:x@y SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:a@b>', 'To: <sip:a@b>', 'CSeq: 1 MESSAGE', '', '']))).toBe('missing_header');
    expect(reason(Buffer.from(register().toString().replace('CSeq: 1 REGISTER', 'CSeq: 1 MESSAGE')))).toBe('bad_cseq');
    expect(reason(Buffer.from(register().toString().replace('Content-Length: 0', 'Content-Length: 99')))).toBe('bad_content_length');
    expect(reason(Buffer.from(register().toString().replace('Content-Length: 0', 'Content-Length: -1')))).toBe('bad_content_length');
    expect(reason(Buffer.from(register().toString().replace('SIP/2.0/UDP 192.168.1.64:5060', 'SIP/2.0/SCTP x')))).toBe('bad_header');
    expect(reason(register([], 'x'.repeat(70 * 1024)))).toBe('oversized');
    expect(reason(register(Array.from({ length: 80 }, (_, i) => `X-H${i}: 1`)))).toBe('oversized');
    expect(reason(register([`X-Long: ${'a'.repeat(5000)}`]))).toBe('oversized');
  });
});

describe('TCP framing by Content-Length', () => {
  it('cuts messages split and joined across chunks, skipping CRLF keep-alives', () => {
    const f = new StreamFramer();
    const a = register([], 'abc');
    const b = register(['Expires: 0']);
    const stream = Buffer.concat([Buffer.from('\r\n\r\n'), a, b]);
    const out = [...f.push(stream.subarray(0, 37)), ...f.push(stream.subarray(37, 200)), ...f.push(stream.subarray(200))];
    expect(out).toHaveLength(2);
    expect((out[0] as SipRequest).body.toString()).toBe('abc');
    expect(header(out[1] as SipRequest, 'Expires')).toBe('0');
    expect(f.buffered).toBe(0);
  });
  it('is fatal without a Content-Length or past the size limit', () => {
    const noLength = Buffer.from(register().toString().replace('Content-Length: 0\r\n', ''));
    expect(() => new StreamFramer().push(noLength)).toThrow(SipParseError);
    expect(() => new StreamFramer().push(Buffer.from(register().toString().replace('Content-Length: 0', 'Content-Length: 999999')))).toThrow(/over/);
    expect(() => new StreamFramer().push(Buffer.alloc(300_000, 0x41))).toThrow(/header block/);
  });
  it('returns a framed message that does not parse as its error, and goes on', () => {
    const bad = crlf(['NOT A START LINE', 'Content-Length: 0', '', '']);
    const out = new StreamFramer().push(Buffer.concat([bad, register()]));
    expect(out[0]).toBeInstanceOf(SipParseError);
    expect((out[1] as SipRequest).method).toBe('REGISTER');
  });
});

const req = () => parseMessage(register()) as SipRequest;
const res = (status: number): SipResponse => ({ kind: 'response', status, reason: 'x', headers: [], body: Buffer.alloc(0) });

describe('RFC 3261 §17 non-INVITE transactions (injected clock)', () => {
  it('client over UDP: Timer E doubles from T1 to T2, Timer F times out at 64·T1', () => {
    const s = new ManualScheduler();
    const sentAt: number[] = [];
    let timedOut = -1;
    const tx = new ClientTransaction({ request: req(), reliable: false, send: () => sentAt.push(s.now()), scheduler: s, onResponse: () => {}, onTimeout: () => (timedOut = s.now()), onTerminated: () => {} });
    tx.start();
    s.advance(40_000);
    expect(sentAt).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(timedOut).toBe(32_000);
    expect(tx.state).toBe('terminated');
    expect(s.pending).toBe(0);
  });
  it('client: a provisional response moves it to Proceeding (E every T2), a final to Completed, Timer K (T4) ends it', () => {
    const s = new ManualScheduler();
    const sentAt: number[] = [];
    const got: number[] = [];
    let ended = -1;
    const tx = new ClientTransaction({ request: req(), reliable: false, send: () => sentAt.push(s.now()), scheduler: s, onResponse: (r) => got.push(r.status), onTimeout: () => {}, onTerminated: () => (ended = s.now()) });
    tx.start();
    s.advance(600);
    tx.receive(res(100));
    expect(tx.state).toBe('proceeding');
    s.advance(8400); // to 9000
    expect(sentAt).toEqual([0, 500, 4600, 8600]);
    tx.receive(res(200));
    tx.receive(res(200)); // retransmitted final absorbed
    expect(got).toEqual([100, 200]);
    expect(tx.state).toBe('completed');
    s.advance(4999);
    expect(tx.state).toBe('completed');
    s.advance(1);
    expect(ended).toBe(14_000);
    expect(sentAt).toHaveLength(4);
  });
  it('client over TCP: no retransmissions, F still fires, and K is zero', () => {
    const s = new ManualScheduler();
    let sends = 0;
    let timedOut = false;
    const tx = new ClientTransaction({ request: req(), reliable: true, send: () => sends++, scheduler: s, onResponse: () => {}, onTimeout: () => (timedOut = true), onTerminated: () => {} });
    tx.start();
    s.advance(31_999);
    expect([sends, timedOut]).toEqual([1, false]);
    s.advance(1);
    expect(timedOut).toBe(true);
    const tx2 = new ClientTransaction({ request: req(), reliable: true, send: () => {}, scheduler: s, onResponse: () => {}, onTimeout: () => {}, onTerminated: () => {} });
    tx2.start();
    tx2.receive(res(200));
    expect(tx2.state).toBe('terminated');
  });
  it('server over UDP: retransmissions absorbed in Trying, answered with the last response, Timer J at 64·T1', () => {
    const s = new ManualScheduler();
    const sent: number[] = [];
    let ended = -1;
    const tx = new ServerTransaction({ reliable: false, send: (r) => sent.push(r.status), scheduler: s, onTerminated: () => (ended = s.now()) });
    tx.retransmitted();
    expect(sent).toEqual([]);
    tx.respond(res(100));
    tx.retransmitted();
    tx.respond(res(200));
    tx.retransmitted();
    tx.respond(res(500)); // no second final
    expect(sent).toEqual([100, 100, 200, 200]);
    s.advance(31_999);
    expect(tx.state).toBe('completed');
    s.advance(1);
    expect(ended).toBe(32_000);
  });
  it('server over TCP ends at its final response', () => {
    const s = new ManualScheduler();
    const tx = new ServerTransaction({ reliable: true, send: () => {}, scheduler: s, onTerminated: () => {} });
    tx.respond(res(200));
    expect(tx.state).toBe('terminated');
  });
});

describe('SIP endpoint on UDP and TCP', () => {
  const started: SipEndpoint[] = [];
  const sockets: (dgram.Socket | net.Socket)[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) 'destroy' in s ? s.destroy() : s.close();
    await Promise.all(started.splice(0).map((e) => e.stop()));
  });
  const endpoint = async (onRequest: (r: IncomingRequest) => void, malformed: string[] = [], timers = { t1: 20, t2: 160, t4: 200 }) => {
    const e = new SipEndpoint({ host: '127.0.0.1', port: 0, timers, onRequest, onMalformed: (reason) => malformed.push(reason) });
    await e.start();
    started.push(e);
    return e;
  };
  const message = (): SipRequest => ({
    kind: 'request',
    method: 'MESSAGE',
    uri: 'sip:b@127.0.0.1',
    headers: [['From', '<sip:a@127.0.0.1>;tag=1'], ['To', '<sip:b@127.0.0.1>'], ['Call-ID', SipEndpoint.tag()], ['CSeq', '1 MESSAGE']],
    body: Buffer.from('<x/>'),
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`answers a request over ${transport}`, async () => {
      const server = await endpoint((r) => r.reply(200, 'OK', [], Buffer.from(r.req.body.toString().toUpperCase())));
      const client = await endpoint(() => {});
      const answer = await client.request(message(), { transport, host: '127.0.0.1', port: server.port });
      expect(answer.status).toBe(200);
      expect(answer.body.toString()).toBe('<X/>');
      expect(viaOf(answer)!.params.get('received')).toBe('127.0.0.1');
      // UDP answers go to the source port; a TCP client's is its ephemeral port.
      if (transport === 'udp') expect(viaOf(answer)!.params.get('rport')).toBe(String(client.port));
    });
  }

  it('retransmits over UDP until answered, and the server answers each retransmission once handled', async () => {
    let seen = 0;
    const server = await endpoint((r) => {
      seen++;
      setTimeout(() => r.reply(200, 'OK'), 70); // after the 1st and 2nd retransmits (20, 60 ms)
    });
    const client = await endpoint(() => {});
    const answer = await client.request(message(), { transport: 'udp', host: '127.0.0.1', port: server.port });
    expect(answer.status).toBe(200);
    expect(seen).toBe(1); // retransmissions matched the server transaction
  });

  it('stop() frees its UDP and TCP port and closes its connections', async () => {
    const e = new SipEndpoint({ host: '127.0.0.1', port: 0, onRequest: (r) => r.reply(200, 'OK'), onMalformed: () => {} });
    await e.start();
    const tcp = net.connect(e.port, '127.0.0.1');
    tcp.on('error', () => {});
    await new Promise((r) => tcp.once('connect', r));
    const closed = new Promise((r) => tcp.once('close', r));
    await e.stop();
    await closed;
    const again = new SipEndpoint({ host: '127.0.0.1', port: e.port, onRequest: () => {}, onMalformed: () => {} });
    await again.start();
    await again.stop();
  });

  it('answers 503 past the server transaction limit', async () => {
    const e = new SipEndpoint({ host: '127.0.0.1', port: 0, timers: { t1: 20, t2: 160, t4: 200 }, maxTransactions: 2, onRequest: (r) => r.reply(200, 'OK'), onMalformed: () => {} });
    await e.start();
    started.push(e);
    const client = await endpoint(() => {});
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await client.request(message(), { transport: 'udp', host: '127.0.0.1', port: e.port })).status);
    expect(statuses).toEqual([200, 200, 503]);
  });

  it('rejects with a timeout when nobody answers (Timer F)', async () => {
    const silent = dgram.createSocket('udp4');
    sockets.push(silent);
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    let datagrams = 0;
    silent.on('message', () => datagrams++);
    const client = await endpoint(() => {}, [], { t1: 10, t2: 40, t4: 50 });
    await expect(client.request(message(), { transport: 'udp', host: '127.0.0.1', port: silent.address().port })).rejects.toBeInstanceOf(SipTimeoutError);
    expect(datagrams).toBeGreaterThanOrEqual(8);
    expect(client.pendingTransactions).toBe(0);
  });

  it('counts malformed datagrams and TCP streams, and drops a TCP stream that cannot be framed', async () => {
    const malformed: string[] = [];
    const server = await endpoint((r) => r.reply(200, 'OK'), malformed);
    const udp = dgram.createSocket('udp4');
    sockets.push(udp);
    udp.send(Buffer.from('GARBAGE\r\n\r\n'), server.port, '127.0.0.1');
    const tcp = net.connect(server.port, '127.0.0.1');
    sockets.push(tcp);
    const closed = new Promise((r) => tcp.on('close', r));
    tcp.on('error', () => {});
    tcp.write(crlf(['REGISTER sip:x SIP/2.0', 'Via: SIP/2.0/TCP h;branch=z9hG4bK1', '', '']));
    await closed;
    await new Promise((r) => setTimeout(r, 50));
    expect(malformed.sort()).toEqual(['bad_content_length', 'bad_start_line']);
    // still serving
    const client = await endpoint(() => {});
    expect((await client.request(message(), { transport: 'udp', host: '127.0.0.1', port: server.port })).status).toBe(200);
  });
});
