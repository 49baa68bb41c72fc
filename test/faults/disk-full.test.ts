import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import mqtt from 'mqtt';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFleet } from '../../simulators/src/fleet.ts';
import { runSimulation, type SentMessage } from '../../simulators/src/run.ts';
import { SqliteTelemetryStore } from '../../server/src/store/sqlite.ts';
import { startHubProcess, tempDataDir, type HubProcess } from '../helpers/hub.ts';
import { createGateway, login } from '../helpers/auth.ts';
import { waitFor } from '../helpers/ports.ts';
import { verifyStored } from '../helpers/traffic.ts';
import { InfluxTelemetryStore } from '../../server/src/store/influx.ts';
import { influxPointCount } from '../helpers/influx-count.ts';
import { useMosquittoAndInflux } from '../helpers/real-services.ts';
import { FAULT_SCALE, faultReport, sleep } from '../helpers/fault-report.ts';

/**
 * Issue 13 item 4: a full disk is backpressure. DATA_DIR is a small tmpfs that a filler file
 * fills while devices publish: the hub stays up, /healthz says why it is degraded, nothing is
 * acknowledged that is not spooled, and everything is stored once the filler is gone.
 */
interface Health {
  status: string;
  spool: { full: boolean; reason?: string; pendingBytes: number };
}

function fill(file: string): number {
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 120);
  let written = 0;
  try {
    for (;;) written += fs.writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd);
  }
  return written;
}

describe('faults: DATA_DIR fills up', () => {
  const env = useMosquittoAndInflux();
  const report = faultReport();
  const mounts: string[] = [];
  let hub: HubProcess | undefined;
  afterAll(async () => {
    await hub?.kill('SIGKILL');
    for (const dir of mounts) execFileSync('umount', [dir]);
  });

  for (const broker of ['embedded', 'mosquitto'] as const) {
    it(`${broker}: the hub holds, reports disk_full, resumes, and stores every acknowledged message`, async () => {
      const dataDir = tempDataDir('disk-full');
      // Room for SQLite's WAL (it checkpoints at 4 MiB) beside the spool; the filler takes whatever is left.
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dataDir]);
      mounts.push(dataDir);
      const db = `diskfull${broker}`;
      hub = await startHubProcess(broker === 'embedded' ? { DATA_DIR: dataDir } : { DATA_DIR: dataDir, MQTT_URL: env.mosquitto.url, INFLUX_URL: env.influxUrl(db), MQTT_CLIENT_ID: `hub-${db}` });
      const gateway = broker === 'embedded' ? await createGateway(hub.httpUrl, await login(hub.httpUrl), 'disk-full') : {};
      const health = async () => {
        const res = await fetch(`${hub!.httpUrl}/healthz`);
        return { code: res.status, ...((await res.json()) as Health) };
      };
      const rate = 500 * FAULT_SCALE;
      const run = runSimulation({ mqttUrl: hub.mqttUrl, devices: buildFleet({ devices: 50 * FAULT_SCALE, seed: 51, idPrefix: 'df' }), rate, qos: 1, count: rate * 12, record: true, connections: 2, ...gateway });
      await sleep(2000);
      const filler = path.join(dataDir, 'filler');
      const filled = fill(filler);
      const degraded = await waitFor(async () => {
        const h = await health();
        return h.spool.reason === 'disk_full' ? h : undefined;
      }, { what: '/healthz to report disk_full', timeoutMs: 30_000 });
      expect(degraded.code).toBe(503);
      expect(degraded.status).toBe('degraded');
      expect(degraded.spool.full).toBe(true);
      // A device the hub has never seen arrives meanwhile: its registry row cannot be written either.
      const newcomer = await mqtt.connectAsync(hub.mqttUrl, { clientId: `df-newcomer-${broker}`, ...gateway });
      const late: SentMessage = { topic: `community/c1/smoke/df-new-${broker}/event`, body: { type: 'test', ts: Date.now(), seq: 1 }, publishedAt: Date.now() };
      const lateAck = newcomer.publishAsync(late.topic, JSON.stringify(late.body), { qos: 1 });
      // Held, not crashed: the process and its embedded broker stay up while the disk is full.
      await sleep(3000);
      expect(hub.child.exitCode).toBeNull();
      expect((await health()).spool.reason).toBe('disk_full');
      fs.rmSync(filler);
      const summary = await run;
      await lateAck;
      await newcomer.endAsync();
      summary.messages!.push(late);
      summary.acked++;
      expect(summary.errors).toBe(0);
      expect(summary.acked).toBe(summary.sent + 1);
      await waitFor(async () => {
        const h = await health();
        return (h.spool.pendingBytes === 0 && h.status === 'ok') || undefined;
      }, { what: 'the spool to drain and the hub to be healthy again', timeoutMs: 90_000 });
      expect(await hub.kill('SIGTERM')).toBe(0);
      const output = hub.output();
      hub = undefined;
      expect(output).not.toMatch(/uncaught|ENOSPC.*\n.*at /i);
      const store = broker === 'embedded' ? new SqliteTelemetryStore(path.join(dataDir, 'telemetry.db')) : new InfluxTelemetryStore(env.influxUrl(db));
      await store.start();
      try {
        const missing = await waitFor(async () => {
          const m = await verifyStored(store, summary.messages!);
          return m.length === 0 || broker === 'embedded' ? m : undefined;
        }, { what: 'every acknowledged message in the store', timeoutMs: 30_000 }).catch(() => verifyStored(store, summary.messages!));
        const rows = store instanceof SqliteTelemetryStore ? store.count('telemetry') + store.count('events') : await influxPointCount(env.influx, db);
        report[`diskFull_${broker}`] = { acked: summary.acked, stored: rows, lost: missing.length, duplicated: Math.max(0, rows - (summary.acked - missing.length)), fillerBytes: filled };
        expect(missing).toEqual([]);
        expect(rows).toBe(summary.acked);
      } finally {
        await store.stop();
      }
    }, 240_000);
  }
});
