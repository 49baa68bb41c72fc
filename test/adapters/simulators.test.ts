import path from 'node:path';
import type WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '#devices';
import type { Hub } from '../../server/src/hub.ts';
import { CtwingPushClient, OnenetPushClient } from '../../simulators/nbiot/index.ts';
import { adminSession, openLive, type HubSession } from '../helpers/auth.ts';
import { waitFor } from '../helpers/ports.ts';
import { startPlatformHub, TOKENS } from './platform-clients.ts';
import { loadConfig } from '../../server/src/config.ts';
import { loadHubConfigFile } from '../../server/src/grid/config-file.ts';
import { Hub as HubClass } from '../../server/src/hub.ts';
import { createLogger } from '../../server/src/log.ts';
import { buildDistrict, writeHubConfig } from '../../simulators/community/index.ts';
import { platformPlan, startPlatformFleet } from '../../simulators/community/platform-fleet.ts';
import { TEST_BOOTSTRAP_ADMIN } from '../helpers/auth.ts';
import { tempDataDir } from '../helpers/hub.ts';
import { freePort } from '../helpers/ports.ts';

const SMOKE_IMEI = '861234500000077';
const GAS_DEV = 518_009_001;

/** The NB-IoT simulators' push clients drive the hub's CTWing and OneNET adapters end to end. */
describe('NB-IoT push simulators → hub', () => {
  let hub: Hub;
  let s: HubSession;
  let ws: WebSocket;
  const live: Alert[] = [];

  beforeAll(async () => {
    hub = await startPlatformHub([
      { id: SMOKE_IMEI, kind: 'smoke', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1', floor: 6 },
      { id: String(GAS_DEV), kind: 'gas', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1', floor: 2 },
    ]);
    s = await adminSession(hub.httpUrl);
    ws = await openLive(hub.httpUrl, s.token);
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { type: string; alert?: Alert };
      if (m.type === 'alert' && m.alert) live.push(m.alert);
    });
  });
  afterAll(async () => {
    ws?.close();
    await hub?.stop();
  });

  it('a CTWing smoke detector: online, a reading, then its alarm event reaches the WebSocket as a fire alarm', async () => {
    const client = new CtwingPushClient(`${hub.httpUrl}/api/ingest/ctwing/15100001?token=${TOKENS.CTWING_SMOKE_TOKEN}`, '15100001');
    expect(await client.onlineOffline(SMOKE_IMEI, true)).toBe(200);
    expect(await client.dataReport(SMOKE_IMEI, { smoke_value: 4, temperature: 21, battery_value: 93, rsrp: -90, smoke_state: 0 })).toBe(200);
    expect(await client.eventReport(SMOKE_IMEI, 1001, 2, { smoke_state: 1, smoke_value: 1800 })).toBe(200);
    const alert = await waitFor(async () => live.find((a) => a.deviceId === SMOKE_IMEI), { what: 'fire alarm on /ws' });
    expect(alert).toMatchObject({ type: 'fire_alarm', severity: 'critical' });
    // A wrong token is the platform's problem to see: 401, nothing stored.
    expect(await new CtwingPushClient(`${hub.httpUrl}/api/ingest/ctwing/15100001?token=wrong`, '15100001').dataReport(SMOKE_IMEI, { battery_value: 1 })).toBe(401);
  });

  it('a OneNET gas detector in secure mode: the URL verification, then an encrypted alarm point raises the gas alarm', async () => {
    const url = `${hub.httpUrl}/api/ingest/onenet/onenet-gas`;
    const client = new OnenetPushClient(url, TOKENS.ONENET_GAS_TOKEN, TOKENS.ONENET_GAS_AES_KEY);
    expect(await client.verify()).toBe(true);
    expect(await new OnenetPushClient(url, 'not-the-token').verify()).toBe(false);
    expect(await client.dataPoint(GAS_DEV, 'gas_concentration', 12)).toBe(200);
    expect(await client.dataPoint(GAS_DEV, 'gas_alarm', 1)).toBe(200);
    const alert = await waitFor(async () => live.find((a) => a.deviceId === String(GAS_DEV)), { what: 'gas alarm on /ws' });
    expect(alert.severity).toBe('critical');
  });
});

/** The community simulator's mixed community: its config file provisions the platforms' devices, and its fleet drives them. */
describe('mixed community: NB-IoT through both platforms and ISAPI gates, from the community simulator', () => {
  it('the written config provisions them, and every one reaches the hub through its adapter', async () => {
    const district = buildDistrict({ seed: 7, households: 120, cells: 2, buildings: 4 });
    const plan = platformPlan(district, { ctwingSmoke: 2, onenetGas: 1, isapiGates: 1, isapiPortBase: await freePort() });
    const dir = tempDataDir('mixed');
    const file = writeHubConfig(path.join(dir, 'hub.json'), district, plan);
    const config = loadConfig({}, { port: 0, mqttPort: 0, dataDir: path.join(dir, 'data'), bootstrapAdmin: TEST_BOOTSTRAP_ADMIN, logLevel: 'silent', configFile: file, file: loadHubConfigFile(file, {}) });
    const hub = new HubClass(config, createLogger('silent'));
    await hub.start();
    const fleet = await startPlatformFleet(plan, { hubUrl: hub.httpUrl, everyS: 1 });
    try {
      const s = await adminSession(hub.httpUrl);
      const seen = async (deviceId: string, what: 'telemetry?field=battery_pct' | 'events') => {
        const res = await s.fetch(`${hub.httpUrl}/api/devices/${deviceId}/${what}${what === 'events' ? '?' : '&'}from=${Date.now() - 600_000}&to=${Date.now() + 60_000}`);
        const body = (await res.json()) as { points?: unknown[]; events?: unknown[] };
        return (body.points ?? body.events ?? []).length > 0 || undefined;
      };
      for (const c of plan.ctwing) await waitFor(() => seen(c.deviceId, 'telemetry?field=battery_pct'), { what: `${c.deviceId} via CTWing`, timeoutMs: 20_000 });
      for (const o of plan.onenet) await waitFor(() => seen(o.deviceId, 'telemetry?field=battery_pct'), { what: `${o.deviceId} via OneNET`, timeoutMs: 20_000 });
      for (const g of plan.gates) await waitFor(() => seen(g.deviceId, 'events'), { what: `${g.deviceId} via ISAPI`, timeoutMs: 20_000 });
      expect(fleet.stats().failed).toBe(0);
      expect(fleet.controllers[0]!.streams).toBe(1);
    } finally {
      await fleet.stop();
      await hub.stop();
    }
  });
});
