import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../../server/src/hub.ts';
import { authedFetch } from '../../helpers/auth.ts';
import { startHub } from '../../helpers/hub.ts';
import { waitFor } from '../../helpers/ports.ts';
import { scopeConfigFile, seed, type AccountName, type Seeded } from '../../attacks/fuzz-helpers.ts';

interface Latest {
  deviceId: string;
  kind: string;
  readings: Record<string, { value: number | boolean | string; ts: number }>;
}

describe('GET /api/devices/{id}/latest', () => {
  let hub: Hub;
  let s: Seeded;
  const get = (who: AccountName | 'admin', id: string) => authedFetch(who === 'admin' ? s.admin.token : s.tokens[who])(`${hub.httpUrl}/api/devices/${id}/latest`);

  beforeAll(async () => {
    hub = await startHub({ configFile: scopeConfigFile() });
    // Each seeded device sends { battery_pct: 90, temperature_c: 21 } and an alarm event.
    s = await seed(hub);
  });
  afterAll(async () => hub?.stop());

  it('answers the last value and ts of each reading the device reported, with its kind', async () => {
    const body = await waitFor(
      async () => {
        const res = await get('op1', 's1');
        expect(res.status).toBe(200);
        const latest = (await res.json()) as Latest;
        return Object.keys(latest.readings).length === 2 ? latest : undefined;
      },
      { what: 's1 telemetry stored' },
    );
    expect(body.deviceId).toBe('s1');
    expect(body.kind).toBe('smoke');
    expect(body.readings.battery_pct?.value).toBe(90);
    expect(body.readings.temperature_c?.value).toBe(21);
    for (const r of Object.values(body.readings)) expect(Math.abs(r.ts - Date.now())).toBeLessThan(120_000);
  });

  it('is 403 outside the caller scope, like GET /api/devices/{id}', async () => {
    for (const [who, id] of [['op2', 's1'], ['worker1', 's2'], ['viewer2', 's2']] as const) {
      const res = await get(who, id);
      expect(res.status, `${who} ${id}`).toBe(403);
      expect((await authedFetch(s.tokens[who])(`${hub.httpUrl}/api/devices/${id}`)).status).toBe(403);
      expect(((await res.json()) as { error: string }).error).toBeTruthy();
    }
    expect((await get('worker1', 's1')).status).toBe(200);
  });

  it('is 404 with {error, message} for an unknown device', async () => {
    const res = await get('admin', 'no-such-device');
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBeTruthy();
    expect(body.message).toContain('no-such-device');
  });
});
