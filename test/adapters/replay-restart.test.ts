import { afterAll, describe, expect, it } from 'vitest';
import type { Alert } from '#devices';
import type { Hub } from '../../server/src/hub.ts';
import { adminSession } from '../helpers/auth.ts';
import { tempDataDir } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import { ctwing, post, startPlatformHub, TOKENS } from './platform-clients.ts';

describe('a platform retry after the hub restarted', () => {
  let hub: Hub | undefined;
  afterAll(async () => hub?.stop());

  it('is still known: acknowledged, the alarm not counted again', async () => {
    const dataDir = tempDataDir('replay-restart');
    const devices = [{ id: '861234567890999', kind: 'smoke', communityId: 'c1', gridCellId: 'g1' }];
    const body = JSON.stringify(ctwing.eventReport({ productId: '15100001', deviceId: 'x', imei: '861234567890999', sn: 77, ts: Date.now() - 5000, serviceId: 1001, eventType: 2, serviceData: { smoke_state: 1 } }));
    const count = async (h: Hub) => {
      const s = await adminSession(h.httpUrl, `gw-${Math.random().toString(36).slice(2, 8)}`);
      const res = await s.fetch(`${h.httpUrl}/api/alerts?state=open&communityId=c1`);
      return ((await res.json()) as { alerts: Alert[] }).alerts.find((a) => a.deviceId === '861234567890999')?.count;
    };
    hub = await startPlatformHub(devices, {}, { dataDir });
    const url = (h: Hub) => `${h.httpUrl}/api/ingest/ctwing/15100001?token=${TOKENS.CTWING_SMOKE_TOKEN}`;
    expect((await post(url(hub), body)).json).toMatchObject({ stored: 1 });
    expect(await waitFor(() => count(hub!), { what: 'fire alarm' })).toBe(1);
    await hub.stop();
    hub = await startPlatformHub(devices, {}, { dataDir });
    expect((await post(url(hub), body)).json).toMatchObject({ stored: 0, replayed: 1 });
    expect(await count(hub)).toBe(1);
  });
});
