import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../server/src/hub.ts';
import { DeviceRateLimiter } from '../../server/src/ingest/limits.ts';
import { adminSession, type HubSession } from '../helpers/auth.ts';
import { startHub } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import { metric, publishAll } from './store-helpers.ts';

const HOUR = 3_600_000;
const LIMIT = { perSecond: 50, burst: 200 };

/**
 * The limiter runs on the device's clock, but a new bucket's clock started at the hub's time (when
 * it last heard the device). A device set to local time west of UTC, or with a clock that simply
 * lags, then got no refill until its clock caught up with the hub's: after its burst, hours of
 * readings (a smoke reading that raises the fire alarm among them) were refused as rate_limited.
 */
describe('a device whose clock is behind is not starved by the rate limiter', () => {
  it('1 msg/s for 20 minutes from a clock 5 h behind: all allowed, new device and after a restart alike', () => {
    const t0 = Date.now();
    for (const lastHeardAt of [undefined, t0 - 60_000]) {
      const limiter = new DeviceRateLimiter(LIMIT);
      let refused = 0;
      for (let i = 0; i < 1200; i++) if (!limiter.allow('lag', 'telemetry', t0 - 5 * HOUR + i * 1000, t0 + i * 1000, lastHeardAt)) refused++;
      expect(refused).toBe(0);
    }
  });

  it('still holds forgers to the budget: old or future timestamps racing ahead buy no more than the receive time allows', () => {
    const t0 = Date.now();
    for (const start of [t0 - 20 * 86_400_000, t0 - 5 * HOUR, t0 + 60_000]) {
      const limiter = new DeviceRateLimiter(LIMIT);
      let allowed = 0;
      // 10 s of receive time, 1000 msg/s, each message claiming one more second of device time.
      for (let i = 0; i < 10_000; i++) if (limiter.allow('forger', 'telemetry', start + i * 1000, t0 + i, t0)) allowed++;
      // The burst, plus the budget of 10 s of receive time and the 5 s lead.
      expect(allowed).toBeLessThanOrEqual(LIMIT.burst + 15 * LIMIT.perSecond + 1);
    }
    // Known device, silent for 60 s before a restart: its credit is what 60 s allowed, capped at the burst, then the sustained rate.
    const limiter = new DeviceRateLimiter(LIMIT);
    let allowed = 0;
    for (let i = 0; i < 10_000; i++) if (limiter.allow('forger', 'telemetry', t0 - 5 * HOUR + i * 1000, t0 + i, t0 - 60_000)) allowed++;
    expect(allowed).toBeLessThanOrEqual(LIMIT.burst + (60 + 15) * LIMIT.perSecond + 1);
  });

  describe('through the hub', () => {
    let hub: Hub;
    let s: HubSession;
    beforeAll(async () => {
      hub = await startHub();
      s = await adminSession(hub.httpUrl, 'lag-gw');
    });
    afterAll(async () => hub?.stop());

    it('a lagging smoke sensor sending 20 msg/s by its clock raises its fire alarm from the 300th reading', async () => {
      const base = Date.now() - 5 * HOUR;
      const messages: [string, string][] = [];
      for (let i = 0; i < 300; i++) {
        const reading = i === 299 ? { smoke_obscuration_pct_per_m: 40 } : { battery_pct: 90 };
        messages.push(['community/c1/smoke/lagging/telemetry', JSON.stringify({ ts: base + i * 50, seq: i, ...reading })]);
      }
      // Spread over about 15 s of receive time, like the device's own 20 msg/s.
      for (let i = 0; i < messages.length; i += 20) {
        await publishAll(hub, s, messages.slice(i, i + 20));
        await new Promise((r) => setTimeout(r, 1000));
      }
      expect(await metric(hub, 'hub_messages_rejected_total', { reason: 'rate_limited' })).toBe(0);
      await waitFor(() => (hub.alerts.list({}).some((a) => a.deviceId === 'lagging' && a.type === 'fire_alarm') ? true : undefined), { timeoutMs: 5000, what: 'the fire alarm' });
    }, 60_000);
  });
});
