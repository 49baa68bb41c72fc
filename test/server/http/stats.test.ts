import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../../server/src/hub.ts';
import { authedFetch, login } from '../../helpers/auth.ts';
import { startHub } from '../../helpers/hub.ts';

describe('GET /api/stats', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub();
  });
  afterAll(async () => hub?.stop());

  it('answers the key figures in their documented shape', async () => {
    const res = await authedFetch(await login(hub.httpUrl))(`${hub.httpUrl}/api/stats`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      devices: { total: 0, online: 0, onlinePct: null },
      alerts: { openBySeverity: { critical: 0, major: 0, minor: 0, info: 0 }, unacknowledgedBySeverity: { critical: 0, major: 0, minor: 0, info: 0 }, perCell: {} },
      meanTimeToAcknowledgeTodayS: null,
    });
  });
});
