import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../server/src/hub.ts';
import { EmbeddedBroker } from '../../server/src/ingest/broker.ts';
import { HTTP_CONNECTIONS_PER_ADDRESS } from '../../server/src/http/plugins/connection-limits.ts';
import { addressKey, DEFAULT_CONNECTION_LIMITS } from '../../server/src/ingest/connection-guard.ts';
import { SqliteTelemetryStore } from '../../server/src/store/sqlite.ts';
import { startHub } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import { adminSession, provisionDevice, type MqttLogin } from '../helpers/auth.ts';
import { startMosquitto, type Service } from '../helpers/services.ts';
import { countedReason } from '../helpers/mqtt-checks.ts';

/**
 * Issue 13 item 9: slow and oversized clients from one address must not exhaust the hub. The
 * attacker is 127.0.0.1; the owner and a device come from 127.0.0.2 (all of 127/8 is loopback).
 * Floods are bounded in count and time; FAULT_SCALE multiplies their size.
 */
const SCALE = Number(process.env.FAULT_SCALE ?? 1);
const OWNER = '127.0.0.2';

function healthzFrom(url: string, localAddress: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(`${url}/healthz`, { localAddress, timeout: 5000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** A raw socket from 127.0.0.1; resolves when connected, records when the server closes it. */
function rawSocket(port: number, closed: { n: number }): Promise<net.Socket> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1' });
    s.on('error', () => {});
    s.once('close', () => closed.n++);
    s.once('connect', () => resolve(s));
    // Refused before connecting (a reset while connecting) counts as closed, never as open.
    s.once('close', () => resolve(s));
  });
}

function deviceFrom(url: string, login: MqttLogin, localAddress: string): Promise<mqtt.MqttClient> {
  const { hostname, port } = new URL(url);
  const client = new mqtt.MqttClient(() => net.connect({ host: hostname, port: Number(port), localAddress }), {
    ...login,
    clientId: login.username,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

/**
 * `conns` CONNECTs declaring 268,435,455 bytes (the MQTT maximum), each followed by up to 64 MiB
 * of data; resolves with how many the server closed before taking it all, and the MiB sent.
 */
async function hugeConnects(port: number, conns: number): Promise<{ closedEarly: number; sentMb: number }> {
  const junk = Buffer.alloc(1024 * 1024, 0x41);
  let closedEarly = 0;
  let sentTotal = 0;
  const attackOne = () =>
    new Promise<void>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1' });
      let sent = 0;
      s.on('error', () => {});
      s.once('close', () => {
        if (sent < 64 * junk.length) closedEarly++;
        sentTotal += sent;
        resolve();
      });
      s.once('connect', () => {
        s.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]));
        const pump = () => {
          while (!s.destroyed && sent < 64 * junk.length) {
            sent += junk.length;
            if (!s.write(junk)) return void s.once('drain', pump);
          }
          if (!s.destroyed) s.end();
        };
        pump();
      });
    });
  await Promise.all(Array.from({ length: conns }, attackOne));
  return { closedEarly, sentMb: Math.round(sentTotal / 1048576) };
}

const refused = (hub: Hub, metric: string, reason: string) => countedReason(hub, reason, metric);

describe('slow clients: one address cannot exhaust the hub', () => {
  let hub: Hub;
  let device: MqttLogin;
  const sockets: net.Socket[] = [];
  beforeAll(async () => {
    hub = await startHub();
    const s = await adminSession(hub.httpUrl);
    device = await provisionDevice(hub.httpUrl, s.token, { id: 'slow-dev', kind: 'smoke', communityId: 'c1', gridCellId: 'g1' });
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await hub?.stop();
  });

  it('HTTP: a flood of connections with incomplete headers is capped per address and closed by the header timeout; /healthz answers from another address throughout', async () => {
    const port = Number(new URL(hub.httpUrl).port);
    const flood = (HTTP_CONNECTIONS_PER_ADDRESS + 150) * SCALE;
    const closed = { n: 0 };
    for (let i = 0; i < flood; i++) {
      const s = await rawSocket(port, closed);
      sockets.push(s);
      if (!s.destroyed) s.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: `);
    }
    // Slowloris: a header byte now and then, never the end of the headers.
    const trickle = setInterval(() => {
      for (const s of sockets) if (!s.destroyed && s.writable) s.write('a');
    }, 1000);
    try {
      const answers: number[] = [];
      const started = Date.now();
      // Until every slow socket is closed by the hub (header timeout 10 s, checked every second), bounded at 60 s.
      while (closed.n < flood && Date.now() - started < 60_000) {
        answers.push(await healthzFrom(hub.httpUrl, OWNER));
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(closed.n).toBe(flood);
      expect(answers.length).toBeGreaterThan(3);
      expect(answers.every((s) => s === 200)).toBe(true);
      expect(await refused(hub, 'hub_http_connections_refused_total', 'too_many_connections')).toBeGreaterThanOrEqual(flood - HTTP_CONNECTIONS_PER_ADDRESS);
      process.stdout.write(`SLOW http ${JSON.stringify({ flood, closedByHub: closed.n, healthzAnswered: answers.length, refusedOverCap: await refused(hub, 'hub_http_connections_refused_total', 'too_many_connections') })}\n`);
    } finally {
      clearInterval(trickle);
    }
    // The attacker's own address works again once its sockets are gone.
    expect((await fetch(`${hub.httpUrl}/healthz`)).status).toBe(200);
  }, 120_000);

  it('MQTT: stalled and trickled CONNECTs are capped per address and closed by the CONNECT timeout; a device from another address connects and publishes meanwhile', async () => {
    const port = hub.broker!.port;
    const flood = (DEFAULT_CONNECTION_LIMITS.pendingPerAddress + 100) * SCALE;
    const closed = { n: 0 };
    const mine: net.Socket[] = [];
    for (let i = 0; i < flood; i++) {
      const s = await rawSocket(port, closed);
      mine.push(s);
      // The first bytes of a CONNECT, then a byte every second: never complete.
      if (!s.destroyed) s.write(Buffer.from([0x10, 0x30, 0x00, 0x04]));
    }
    sockets.push(...mine);
    const trickle = setInterval(() => {
      for (const s of mine) if (!s.destroyed && s.writable) s.write(Buffer.from([0x4d]));
    }, 1000);
    try {
      expect(await refused(hub, 'hub_mqtt_refused_total', 'too_many_pending')).toBeGreaterThanOrEqual(flood - DEFAULT_CONNECTION_LIMITS.pendingPerAddress);
      const c = await deviceFrom(hub.mqttUrl, device, OWNER);
      for (let seq = 1; seq <= 20; seq++) {
        await c.publishAsync('community/c1/smoke/slow-dev/telemetry', JSON.stringify({ ts: Date.now() - 1000 + seq, seq, battery_pct: 50 }), { qos: 1 });
      }
      await c.endAsync();
      await waitFor(() => (hub.store as SqliteTelemetryStore).count('telemetry') >= 20 || undefined, { what: 'the device from another address stored' });
      expect(await healthzFrom(hub.httpUrl, OWNER)).toBe(200);
      await waitFor(() => closed.n === flood || undefined, { what: 'every stalled CONNECT closed by the hub', timeoutMs: 40_000, intervalMs: 250 });
      expect(hub.mqtt.connected).toBe(true);
      process.stdout.write(`SLOW mqtt ${JSON.stringify({ flood, closedByHub: closed.n, refusedPending: await refused(hub, 'hub_mqtt_refused_total', 'too_many_pending') })}\n`);
    } finally {
      clearInterval(trickle);
    }
  }, 120_000);

  it('MQTT: CONNECTs declaring 256 MB are closed at their first bytes; RSS grows by a few MB at most', async () => {
    const port = hub.broker!.port;
    const before = process.memoryUsage().rss;
    const conns = 4 * SCALE;
    const { closedEarly, sentMb } = await hugeConnects(port, conns);
    const growthMb = (process.memoryUsage().rss - before) / 1024 / 1024;
    expect(closedEarly).toBe(conns);
    expect(await refused(hub, 'hub_mqtt_refused_total', 'preauth_too_large')).toBeGreaterThanOrEqual(conns);
    expect(growthMb).toBeLessThan(16);
    // Still serving.
    const c = await deviceFrom(hub.mqttUrl, device, OWNER);
    await c.endAsync();
    process.stdout.write(`SLOW huge-connect ${JSON.stringify({ conns, declaredBytesEach: 268_435_455, attackerSentMb: sentMb, rssGrowthMb: Math.round(growthMb * 10) / 10 })}\n`);
  }, 60_000);

  it('MQTT: a connection must begin with CONNECT, and an authenticated packet is bounded too', async () => {
    const before = await refused(hub, 'hub_mqtt_refused_total', 'not_connect_first');
    const closed = { n: 0 };
    const s = await rawSocket(hub.broker!.port, closed);
    s.write(Buffer.from([0x30, 0x7f, 0x00]));
    await waitFor(() => closed.n === 1 || undefined, { what: 'a PUBLISH before CONNECT closed' });
    expect(await refused(hub, 'hub_mqtt_refused_total', 'not_connect_first')).toBe(before + 1);
    // After login, a publish over the packet bound (1 MiB + 64 KiB) closes the connection, unbuffered.
    const c = await deviceFrom(hub.mqttUrl, device, OWNER);
    const gone = new Promise<void>((r) => c.once('close', () => r()));
    c.publish('community/c1/smoke/slow-dev/telemetry', Buffer.alloc(2 * 1024 * 1024, 0x20), { qos: 0 });
    await gone;
    c.end(true);
    expect(await refused(hub, 'hub_mqtt_refused_total', 'packet_too_large')).toBeGreaterThanOrEqual(1);
  });
});

describe('slow clients: Mosquitto with config/mosquitto/hub.conf (max_packet_size)', () => {
  let mosquitto: Service;
  beforeAll(async () => {
    mosquitto = await startMosquitto();
  });
  afterAll(async () => mosquitto?.stop());

  const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${mosquitto.pid()}/status`, 'utf8'))![1]) / 1024;

  it('closes CONNECTs declaring 256 MB at their header; its RSS grows by a few MB at most', async () => {
    const before = rssMb();
    const conns = 4 * SCALE;
    const { closedEarly, sentMb } = await hugeConnects(mosquitto.port, conns);
    const growthMb = rssMb() - before;
    expect(closedEarly).toBe(conns);
    expect(growthMb).toBeLessThan(16);
    // Still serving.
    const c = await mqtt.connectAsync(mosquitto.url, { reconnectPeriod: 0 });
    await c.endAsync();
    process.stdout.write(`SLOW mosquitto-huge-connect ${JSON.stringify({ conns, attackerSentMb: sentMb, rssGrowthMb: Math.round(growthMb * 10) / 10 })}\n`);
  }, 60_000);
});

describe('connection guard: what one address is', () => {
  it('an IPv4 address (also IPv4-mapped) on its own; an IPv6 address by its /64', () => {
    expect(addressKey('127.0.0.2')).toBe('127.0.0.2');
    expect(addressKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(addressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff::9')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey(undefined)).toBe('unknown');
  });
});

describe('connection guard: the per-address cap of the embedded broker', () => {
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, limits: { perAddress: 5, pendingPerAddress: 5 } });
    await broker.start();
  });
  afterAll(async () => broker?.stop());

  it('closes the sixth connection from one address at once; another address is unaffected', async () => {
    const closed = { n: 0 };
    const open = [];
    for (let i = 0; i < 6; i++) open.push(await rawSocket(broker.port, closed));
    await waitFor(() => closed.n === 1 || undefined, { what: 'the sixth connection closed' });
    const other = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: broker.port, localAddress: OWNER });
      s.once('connect', () => setTimeout(() => resolve(!s.destroyed), 200));
      s.once('error', () => resolve(false));
      open.push(s);
    });
    expect(other).toBe(true);
    expect(closed.n).toBe(1);
    for (const s of open) s.destroy();
  });
});
