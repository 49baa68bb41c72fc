import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../server/src/hub.ts';
import { startHub, tempDataDir } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import { TEST_ADMIN } from '../helpers/auth.ts';

const openssl = ['/usr/bin/openssl', '/bin/openssl'].find((p) => fs.existsSync(p));

function request(url: string, ca: Buffer, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: init.method ?? 'GET', headers: init.headers ?? {}, ca }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

describe.skipIf(!openssl)('TLS for HTTP, WebSocket and MQTT with a self-signed certificate', () => {
  let hub: Hub;
  let ca: Buffer;
  beforeAll(async () => {
    const dir = tempDataDir('tls');
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync(openssl!, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    ca = fs.readFileSync(cert);
    hub = await startHub({ dataDir: dir, tlsCert: cert, tlsKey: key, mqttTlsPort: 0 });
  });
  afterAll(async () => hub?.stop());

  it('serves HTTPS (secure cookie, HSTS) and WSS; refuses an untrusted client', async () => {
    expect(hub.httpUrl).toMatch(/^https:/);
    await expect(request(`${hub.httpUrl}/healthz`, Buffer.from(''))).rejects.toThrow();
    const login = await request(`${hub.httpUrl}/api/auth/login`, ca, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(TEST_ADMIN) });
    expect(login.status).toBe(200);
    expect(String(login.headers['set-cookie'])).toMatch(/; Secure/);
    expect(login.headers['strict-transport-security']).toBeDefined();
    const { token } = JSON.parse(login.body) as { token: string };
    const ws = new WebSocket(`${hub.httpUrl.replace('https', 'wss')}/ws`, { ca, headers: { authorization: `Bearer ${token}` } });
    const hello = await new Promise<{ type: string }>((resolve, reject) => {
      ws.once('message', (d) => resolve(JSON.parse(d.toString())));
      ws.once('error', reject);
    });
    expect(hello.type).toBe('hello');
    ws.close();
    // A gateway over HTTPS, used over MQTTS below.
    const gw = await request(`${hub.httpUrl}/api/mqtt/gateways`, ca, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ id: 'tls-gw', communities: ['*'] }) });
    expect(gw.status).toBe(201);
    const creds = (JSON.parse(gw.body) as { mqtt: { username: string; password: string } }).mqtt;
    const url = hub.broker!.tlsUrl!;
    expect(url).toMatch(/^mqtts:/);
    const c = await mqtt.connectAsync(url, { ...creds, ca, reconnectPeriod: 0 });
    await c.publishAsync('community/c1/smoke/tls-dev/telemetry', JSON.stringify({ battery_pct: 42 }), { qos: 1 });
    await c.endAsync();
    await waitFor(() => hub.registry.get('tls-dev') || undefined, { what: 'message over MQTTS' });
    await expect(mqtt.connectAsync(url, { ...creds, reconnectPeriod: 0, connectTimeout: 3000 })).rejects.toThrow();
    await expect(mqtt.connectAsync(url, { username: 'tls-gw', password: 'wrong', ca, reconnectPeriod: 0 })).rejects.toThrow(/Not authorized/i);
  });
});
