import fs from 'node:fs';
import path from 'node:path';
import { decodePayload, kindSpecs, type DeviceKind } from '#devices';
import { buildFleet } from '../simulators/src/fleet.ts';
import { telemetryFor } from '../simulators/src/readings.ts';
import { createRng } from '../simulators/src/rng.ts';
import { InfluxTelemetryStore } from '../server/src/store/influx.ts';
import { SqliteTelemetryStore } from '../server/src/store/sqlite.ts';
import type { StoredPoint } from '../server/src/store/types.ts';
import { tempDataDir } from '../test/helpers/hub.ts';
import { influxQuery, startInflux } from '../test/helpers/services.ts';

export interface DiskResult {
  devices: number;
  /** Raw points of one simulated day: each device at its kind's reporting period. */
  points: number;
  influx: { bytesPerDeviceDay: number; bytesPerPoint: number; byRetentionPolicy: Record<string, number> };
  embedded: { bytesPerDeviceDay: number; bytesPerPoint: number };
}

const DAY_MS = 86_400_000;

/** One day of a district-like fleet's telemetry, decoded exactly as the hub decodes it. */
function* dayOfTelemetry(devices: number, dayStart: number, batch: number): Generator<StoredPoint[]> {
  const fleet = buildFleet({ devices, communities: 2, seed: 5, idPrefix: 'disk' });
  const rng = createRng(9);
  let out: StoredPoint[] = [];
  for (const d of fleet) {
    const periodMs = kindSpecs[d.kind as DeviceKind].reportingPeriodS * 1000;
    for (let ts = dayStart + Math.floor(rng() * periodMs); ts < dayStart + DAY_MS; ts += periodMs) {
      const body = JSON.stringify({ ...telemetryFor(d, rng, ts), ts, seq: ++d.seq });
      const decoded = decodePayload(d.kind, 'telemetry', Buffer.from(body), ts);
      if (!decoded.ok || decoded.value.channel !== 'telemetry') throw new Error(`simulated telemetry did not decode: ${body}`);
      out.push({ m: 't', d: d.id, k: d.kind, c: d.communityId, g: d.gridCellId, ts, rx: ts, r: decoded.value.readings, seq: decoded.value.seq });
      if (out.length >= batch) {
        yield out;
        out = [];
      }
    }
  }
  if (out.length) yield out;
}

/** Bytes allocated on disk, like du: InfluxDB preallocates sparse series-file segments. */
function dirBytes(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : fs.statSync(p).blocks * 512;
  }
  return total;
}

/**
 * Disk per device-day, rollups included: one simulated day of telemetry written through the
 * hub's own store code into InfluxDB 1.x (compacted, as it is after a few quiet minutes) and
 * into the embedded SQLite store.
 */
export async function diskPerDeviceDay(devices: number, log: (l: string) => void): Promise<DiskResult> {
  const dayStart = Math.floor((Date.now() - 2 * DAY_MS) / DAY_MS) * DAY_MS;
  let points = 0;

  const influx = await startInflux('disk', { compactQuickly: true });
  const influxStore = new InfluxTelemetryStore(influx.url);
  const file = path.join(tempDataDir('disk'), 'telemetry.db');
  const sqlite = new SqliteTelemetryStore(file);
  await Promise.all([influxStore.start(), sqlite.start()]);
  try {
    for (const batch of dayOfTelemetry(devices, dayStart, 5000)) {
      await Promise.all([influxStore.write(batch), sqlite.write(batch)]);
      points += batch.length;
    }
    // The rollups the continuous queries would have made over that day.
    const kinds = '/^(smoke|gate|fire_station|camera)$/';
    for (const [rp, every] of [['rollup_1m', '1m'], ['rollup_1h', '1h']]) {
      await influxQuery(influx, `SELECT mean(*) INTO "disk"."${rp}".:MEASUREMENT FROM "disk"."raw".${kinds} WHERE time >= ${dayStart}ms AND time < ${dayStart + DAY_MS}ms GROUP BY time(${every}), *`, 'disk');
    }
    await sqlite.maintain(dayStart + DAY_MS + 3 * 3_600_000);
    // Wait for InfluxDB to snapshot its cache and compact: the data directory stops changing.
    const dataDir = path.join(influx.dir, 'data', 'disk');
    let last = -1;
    for (let i = 0; i < 60; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const walBytes = dirBytes(path.join(influx.dir, 'wal', 'disk'));
      const now = dirBytes(dataDir);
      if (now === last && walBytes < 64 * 1024) break;
      last = now;
    }
    const influxBytes = dirBytes(dataDir);
    await sqlite.stop();
    const sqliteBytes = dirBytes(path.dirname(file));
    const result: DiskResult = {
      devices,
      points,
      influx: {
        bytesPerDeviceDay: Math.round(influxBytes / devices),
        bytesPerPoint: Math.round((influxBytes / points) * 10) / 10,
        // Per device-day in each policy (and the series index): what retention multiplies.
        byRetentionPolicy: Object.fromEntries(fs.readdirSync(dataDir).map((rp) => [rp, Math.round(dirBytes(path.join(dataDir, rp)) / devices)])),
      },
      embedded: { bytesPerDeviceDay: Math.round(sqliteBytes / devices), bytesPerPoint: Math.round((sqliteBytes / points) * 10) / 10 },
    };
    log(
      `  one day of ${devices} devices (${points} points, rollups included): InfluxDB ${result.influx.bytesPerDeviceDay} bytes per device-day ` +
        `(${result.influx.bytesPerPoint} per point; ${JSON.stringify(result.influx.byRetentionPolicy)}), embedded SQLite ${result.embedded.bytesPerDeviceDay} (${result.embedded.bytesPerPoint} per point)`,
    );
    return result;
  } finally {
    await influxStore.stop();
    await influx.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(JSON.stringify(await diskPerDeviceDay(Number(process.env.BENCH_DISK_DEVICES ?? 1000), (l) => process.stderr.write(l + '\n'))) + '\n');
}
