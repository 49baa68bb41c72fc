import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../server/src/hub.ts';
import { StoreErrors } from '../../server/src/store/errors.ts';
import { InfluxTelemetryStore } from '../../server/src/store/influx.ts';
import { SqliteTelemetryStore } from '../../server/src/store/sqlite.ts';
import { adminSession, provisionDevice, type HubSession } from '../helpers/auth.ts';
import { startHub } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import { startInflux, type Service } from '../helpers/services.ts';

describe('a store that cannot be reached answers 503 with the JSON error shape, not 500', () => {
  let influx: Service;
  let hub: Hub;
  let s: HubSession;

  beforeAll(async () => {
    influx = await startInflux();
    hub = await startHub({ influxUrl: influx.url });
    s = await adminSession(hub.httpUrl);
    await provisionDevice(hub.httpUrl, s.token, { id: 'su-smoke-1', kind: 'smoke', communityId: 'c1' });
  }, 60_000);
  afterAll(async () => {
    await hub?.stop();
    await influx?.stop();
  });

  it('InfluxDB up: telemetry, events and latest answer 200', async () => {
    expect((await s.fetch(`${hub.httpUrl}/api/devices/su-smoke-1/telemetry`)).status).toBe(200);
    expect((await s.fetch(`${hub.httpUrl}/api/devices/su-smoke-1/events`)).status).toBe(200);
    expect((await s.fetch(`${hub.httpUrl}/api/devices/su-smoke-1/latest`)).status).toBe(200);
  });

  it('InfluxDB stopped: GET /api/devices/{id}/telemetry, /events and /latest answer 503 {error, message}', async () => {
    await influx.stop('SIGKILL');
    for (const url of [`${hub.httpUrl}/api/devices/su-smoke-1/telemetry`, `${hub.httpUrl}/api/devices/su-smoke-1/events`, `${hub.httpUrl}/api/devices/su-smoke-1/latest`]) {
      const res = await s.fetch(url);
      expect(res.status, url).toBe(503);
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe('STORE_UNAVAILABLE');
      expect(body.message).toMatch(/^the time-series store is unavailable: /);
    }
    await influx.start();
    // The driver's pool waits a moment before it tries a host that failed again.
    await waitFor(async () => (await s.fetch(`${hub.httpUrl}/api/devices/su-smoke-1/telemetry`)).status === 200, { timeoutMs: 30_000, what: 'telemetry 200 again' });
  }, 60_000);

  it('the store itself throws StoreUnavailable, whatever the route', async () => {
    const store = new InfluxTelemetryStore('http://127.0.0.1:9/hub');
    await expect(store.queryRaw({ deviceId: 'x', kind: 'smoke', from: 0, to: 1, limit: 1 })).rejects.toBeInstanceOf(StoreErrors.Unavailable);
    await store.stop();
  });
});

describe('the embedded store answers 503 too when its file cannot be read', () => {
  it('a closed or unreadable SQLite store throws StoreUnavailable from every query; a bad query is not hidden as one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csh-sqlite-unavailable-'));
    const store = new SqliteTelemetryStore(path.join(dir, 'telemetry.db'));
    await store.start();
    const q = { deviceId: 'x', kind: 'smoke' as const, from: 0, to: 1, limit: 1 };
    await expect(store.queryRaw(q)).resolves.toEqual([]);
    await store.stop();
    await expect(store.queryRaw(q)).rejects.toBeInstanceOf(StoreErrors.Unavailable);
    await expect(store.queryAggregate({ ...q, field: 'smoke_obscuration_pct', everyMs: 60_000 })).rejects.toBeInstanceOf(StoreErrors.Unavailable);
    await expect(store.queryEvents({ from: 0, to: 1, limit: 1 })).rejects.toBeInstanceOf(StoreErrors.Unavailable);
    await expect(store.latest('smoke', 'x')).rejects.toBeInstanceOf(StoreErrors.Unavailable);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
