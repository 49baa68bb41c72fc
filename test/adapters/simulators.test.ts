import type WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '#devices';
import type { Hub } from '../../server/src/hub.ts';
import { CtwingPushClient, OnenetPushClient } from '../../simulators/nbiot/index.ts';
import { adminSession, openLive, type HubSession } from '../helpers/auth.ts';
import { waitFor } from '../helpers/ports.ts';
import { startPlatformHub, TOKENS } from './platform-clients.ts';

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
