import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchSubscriber } from '../../server/src/ingest/batch-subscriber.ts';
import { createLogger } from '../../server/src/log.ts';
import type { Hub } from '../../server/src/hub.ts';
import { startHub } from '../helpers/hub.ts';
import { freePort, waitFor } from '../helpers/ports.ts';
import { startMosquitto, type Service } from '../helpers/services.ts';

const openssl = ['/usr/bin/openssl', '/bin/openssl'].find((p) => fs.existsSync(p));

/** The hub on an external Mosquitto over mqtts:// with a self-signed certificate, trusted through MQTT_CA_FILE. */
describe.skipIf(!openssl)('MQTT_CA_FILE: an external broker with a private CA', () => {
  let mosquitto: Service;
  let tlsUrl: string;
  let cert: string;
  let hub: Hub | undefined;
  beforeAll(async () => {
    // Readable by the mosquitto user that the broker drops to.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csh-mqtt-ca-'));
    fs.chmodSync(dir, 0o755);
    cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync(openssl!, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    fs.chmodSync(key, 0o644);
    const tlsPort = await freePort();
    tlsUrl = `mqtts://127.0.0.1:${tlsPort}`;
    mosquitto = await startMosquitto({ extraConfig: `listener ${tlsPort} 127.0.0.1\ncertfile ${cert}\nkeyfile ${key}\n` });
  });
  afterAll(async () => {
    await hub?.stop();
    await mosquitto?.stop();
  });

  it('connects both lanes with the CA and stores what arrives', async () => {
    hub = await startHub({ mqttUrl: tlsUrl, mqttCaFile: cert, mqttClientId: 'hub-ca' });
    expect(hub.mqtt.connected).toBe(true);
    const device = await mqtt.connectAsync(mosquitto.url, { clientId: 'ca-device' });
    await device.publishAsync('community/c1/smoke/ca-smoke-1/telemetry', JSON.stringify({ ts: Date.now(), seq: 1, battery_pct: 80 }), { qos: 1 });
    await device.publishAsync('community/c1/smoke/ca-smoke-1/event', JSON.stringify({ type: 'alarm', ts: Date.now(), seq: 2 }), { qos: 1 });
    await device.endAsync();
    await waitFor(() => hub!.registry.get('ca-smoke-1')?.lastSeenAt != null && hub!.alerts.list({}).some((a) => a.deviceId === 'ca-smoke-1') ? true : undefined, { what: 'telemetry and alarm through mqtts' });
  });

  it('without the CA the telemetry lane refuses the certificate and says so', async () => {
    const errors: string[] = [];
    const log = createLogger('silent');
    const sub = new BatchSubscriber({
      url: tlsUrl,
      clientId: 'no-ca',
      topics: ['community/#'],
      log: Object.assign(Object.create(log) as typeof log, { error: (o: { err?: string }) => errors.push(String(o.err)) }),
      onBatch: (_m, ack) => ack(),
      onConnectionChange: () => {},
    });
    void sub.start();
    await waitFor(() => (errors.length > 0 ? true : undefined), { what: 'a certificate error' });
    expect(errors[0]).toMatch(/self[- ]signed|certificate/i);
    expect(sub.connected).toBe(false);
    await sub.stop();
  });
});
