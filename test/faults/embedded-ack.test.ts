import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFleet } from '../../simulators/src/fleet.ts';
import { runSimulation } from '../../simulators/src/run.ts';
import { SqliteTelemetryStore } from '../../server/src/store/sqlite.ts';
import { startHubProcess, tempDataDir, type HubProcess } from '../helpers/hub.ts';
import { createGateway, login } from '../helpers/auth.ts';
import { freePort, waitFor } from '../helpers/ports.ts';
import { verifyStored } from '../helpers/traffic.ts';
import { FAULT_SCALE, faultReport, sleep } from '../helpers/fault-report.ts';

/**
 * Issue 13 item 12: with the embedded broker, a device's PUBACK comes only after the journal
 * append. The hub runs as its own process and is SIGKILLed mid-stream, several times.
 */
describe('faults: embedded broker, hub SIGKILLed under QoS 1 load', () => {
  const report = faultReport();
  let hub: HubProcess | undefined;
  afterAll(async () => {
    await hub?.kill('SIGKILL');
  });

  it('every message a device saw acknowledged is stored (0 lost across SIGKILLs)', async () => {
    const dataDir = tempDataDir('embedded-ack');
    const env = { DATA_DIR: dataDir, PORT: String(await freePort()), MQTT_PORT: String(await freePort()) };
    hub = await startHubProcess(env);
    const gateway = await createGateway(hub.httpUrl, await login(hub.httpUrl), 'embedded-ack');
    const rate = 1500 * FAULT_SCALE;
    const seconds = 12;
    const fleet = buildFleet({ devices: 200 * FAULT_SCALE, seed: 21, idPrefix: 'ea' });
    const run = runSimulation({ mqttUrl: hub.mqttUrl, devices: fleet, rate, qos: 1, count: rate * seconds, record: true, connections: 4, ...gateway });
    const kills = 3;
    for (let k = 0; k < kills; k++) {
      await sleep(3000);
      await hub.kill('SIGKILL');
      await sleep(500);
      hub = await startHubProcess(env);
    }
    const summary = await run;
    // A publish mqtt.js never got onto the wire (queued while it resent its store, then the hub
    // was killed again) fails on the device's side: never acknowledged, so nothing is owed.
    // Everything else must have been acknowledged.
    expect(summary.acked + summary.errors).toBe(summary.sent);
    const acked = summary.messages!.filter((m) => m.acked);
    await waitFor(async () => {
      const h = (await (await fetch(`${hub!.httpUrl}/healthz`)).json()) as { spool: { pendingBytes: number } };
      return h.spool.pendingBytes === 0 || undefined;
    }, { what: 'the spool to drain', timeoutMs: 60_000 });
    await hub.kill('SIGTERM');
    hub = undefined;
    const store = new SqliteTelemetryStore(path.join(dataDir, 'telemetry.db'));
    await store.start();
    try {
      const missing = await verifyStored(store, acked);
      // The store's key is (device, ts, seq): a replayed message overwrites, so rows are unique messages.
      const rows = store.count('telemetry') + store.count('events');
      report.embeddedSigkill = { kills, rate, sent: summary.sent, failedOnDevice: summary.errors, acked: summary.acked, stored: rows, lost: missing.length };
      expect(missing).toEqual([]);
      // Rows are unique (device, ts, seq): at least every acknowledged message, at most every one sent.
      expect(rows).toBeGreaterThanOrEqual(summary.acked);
      expect(rows).toBeLessThanOrEqual(summary.sent);
    } finally {
      await store.stop();
    }
  }, 240_000);
});
