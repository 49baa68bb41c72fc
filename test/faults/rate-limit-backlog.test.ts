import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { buildFleet } from '../../simulators/src/fleet.ts';
import { runSimulation } from '../../simulators/src/run.ts';
import { InfluxTelemetryStore } from '../../server/src/store/influx.ts';
import type { Hub } from '../../server/src/hub.ts';
import type { TelemetryStore } from '../../server/src/store/types.ts';
import { DEFAULT_MAX_LEAD_MS } from '../../server/src/ingest/limits.ts';
import { influxPointCount } from '../helpers/influx-count.ts';
import { startHub, tempDataDir } from '../helpers/hub.ts';
import { waitFor } from '../helpers/ports.ts';
import { useMosquittoAndInflux } from '../helpers/real-services.ts';
import { verifyStored } from '../helpers/traffic.ts';
import { adminSession, login as loginToken } from '../helpers/auth.ts';
import { FAULT_SCALE, faultReport, sleep } from '../helpers/fault-report.ts';

/**
 * Issue 13 item 2: the per-device rate limit never loses an acknowledged message. A backlog the
 * broker replays in a rush after an outage passes (it is judged on the devices' own clocks);
 * a device that really floods is refused, counted, and crowds out nobody.
 */
const rejectedDetail = (hub: Hub) => `rejected ${JSON.stringify([...hub.rejects.counts])}, e.g. ${JSON.stringify(hub.rejects.recent(2).map((r) => [r.topic, r.message]))}`;
const OUTAGE_S = Number(process.env.FAULT_OUTAGE_S ?? 15);
const PER_SECOND = 50;
const BURST = 200;

describe('faults: rate limiting loses nothing acknowledged', () => {
  const env = useMosquittoAndInflux();
  const report = faultReport({ outageS: OUTAGE_S });

  it(`hub down ${OUTAGE_S} s (40 devices × 25 msg/s, persistent session on Mosquitto): the replayed backlog is all stored`, async () => {
    const db = 'rlbacklog';
    const config = { mqttUrl: env.mosquitto.url, influxUrl: env.influxUrl(db), mqttClientId: `hub-${db}`, dataDir: tempDataDir(db), deviceRateLimit: PER_SECOND, deviceRateBurst: BURST };
    let hub: Hub = await startHub(config);
    const rejected: number[] = [];
    const rate = 1000 * FAULT_SCALE;
    const fleet = buildFleet({ devices: 40 * FAULT_SCALE, seed: 31, idPrefix: 'rb' });
    const run = runSimulation({ mqttUrl: env.mosquitto.url, devices: fleet, rate, qos: 1, count: rate * (OUTAGE_S + 10), record: true, connections: 2 });
    try {
      await sleep(5000);
      rejected.push(hub.rejects.total());
      await hub.stop();
      await sleep(OUTAGE_S * 1000);
      hub = await startHub(config);
      const summary = await run;
      expect(summary.acked).toBe(summary.sent);
      const outcome = await waitFor(async () => (hub.rejects.total() > 0 ? 'rejected' : (await influxPointCount(env.influx, db)) >= summary.acked ? 'stored' : undefined), {
        what: 'every acknowledged point',
        timeoutMs: 120_000 * FAULT_SCALE,
      });
      expect(outcome, rejectedDetail(hub)).toBe('stored');
      rejected.push(hub.rejects.total());
      const missing = await verifyStored(new InfluxTelemetryStore(env.influxUrl(db)), summary.messages!);
      const stored = await influxPointCount(env.influx, db);
      report.rateLimitHubDown = { acked: summary.acked, stored, lost: missing.length, duplicated: Math.max(0, stored - summary.acked), rejected: rejected.reduce((a, b) => a + b, 0) };
      expect(rejected).toEqual([0, 0]);
      expect(missing).toEqual([]);
    } finally {
      await hub.stop();
    }
  }, 300_000 * FAULT_SCALE);

  it('spool full while InfluxDB is down: the backlog replayed at drain speed is all stored', async () => {
    const db = 'rlspoolfull';
    const hub = await env.hub(db, { spoolMaxBytes: 1024 * 1024, deviceRateLimit: PER_SECOND, deviceRateBurst: BURST });
    await env.influx.stop();
    // 40 msg/s per device: under the budget on the devices' clocks, far over it as the hub receives the replay.
    const fleet = buildFleet({ devices: 40 * FAULT_SCALE, seed: 32, idPrefix: 'rs' });
    const summary = await runSimulation({ mqttUrl: env.mosquitto.url, devices: fleet, rate: 1600 * FAULT_SCALE, qos: 1, count: 20_000 * FAULT_SCALE, record: true, connections: 2 });
    expect(summary.acked).toBe(summary.sent);
    expect(hub.journal.full || hub.journal.telemetryFull).toBe(true);
    await env.influx.start();
    const outcome = await waitFor(async () => (hub.rejects.total() > 0 ? 'rejected' : (await influxPointCount(env.influx, db)) >= summary.acked ? 'stored' : undefined), {
      what: 'every point after backpressure',
      timeoutMs: 120_000 * FAULT_SCALE,
    });
    expect(outcome, rejectedDetail(hub)).toBe('stored');
    const missing = await verifyStored(new InfluxTelemetryStore(env.influxUrl(db)), summary.messages!);
    const stored = await influxPointCount(env.influx, db);
    report.rateLimitSpoolFull = { acked: summary.acked, stored, lost: missing.length, duplicated: Math.max(0, stored - summary.acked), rejected: hub.rejects.total() };
    expect(missing).toEqual([]);
  }, 300_000 * FAULT_SCALE);

  for (const broker of ['mosquitto', 'embedded'] as const) {
    it(`${broker}: flooders at 2,000 msg/s (current, future and old forged ts) are refused and counted; normal devices lose nothing`, async () => {
      const db = `rlflood${broker}`;
      const limits = { deviceRateLimit: PER_SECOND, deviceRateBurst: BURST };
      const hub = broker === 'mosquitto' ? await env.hub(db, limits) : await startHub(limits);
      const login = broker === 'embedded' ? (await adminSession(hub.httpUrl, 'flood-gw')).gateway : {};
      const store: TelemetryStore = broker === 'mosquitto' ? new InfluxTelemetryStore(env.influxUrl(db)) : hub.store;
      try {
        const floodS = 3;
        const floodRate = 2000;
        const normal = runSimulation({ mqttUrl: hub.mqttUrl, devices: buildFleet({ devices: 20, seed: 33, idPrefix: `${broker}-ok` }), rate: 200, qos: 1, durationS: floodS * 3 + 2, record: true, connections: 1, ...login });
        const flooders = {
          now: (i: number, t: number) => t,
          future: (i: number, t: number) => t + 3_600_000,
          // An old clock walking forward at the flood rate, and one spread at exactly the budget.
          oldFast: (i: number, t: number) => t - 86_400_000 + i,
          oldAtBudget: (i: number, t: number) => t - 86_400_000 + (i * 1000) / PER_SECOND,
        };
        const flood: Record<string, { sent: number; elapsedMs: number }> = {};
        const client = await mqtt.connectAsync(hub.mqttUrl, { clientId: `${broker}-flooder`, ...login });
        for (const [name, tsOf] of Object.entries(flooders)) {
          const topic = `community/c1/smoke/${broker}-flood-${name}/telemetry`;
          const started = Date.now();
          let sent = 0;
          const acks: Promise<unknown>[] = [];
          while (sent < floodRate * floodS) {
            const due = Math.min(floodRate * floodS, Math.floor(((Date.now() - started) / 1000) * floodRate) + 1);
            for (; sent < due; sent++) acks.push(client.publishAsync(topic, JSON.stringify({ ts: tsOf(sent, Date.now()), seq: sent, battery_pct: 50 }), { qos: 1 }));
            await sleep(5);
          }
          await Promise.all(acks);
          flood[name] = { sent, elapsedMs: Date.now() - started };
        }
        await client.endAsync();
        const summary = await normal;
        expect(summary.acked).toBe(summary.sent);
        const limited = () => hub.rejects.counts.get('rate_limited') ?? 0;
        const floodSent = Object.values(flood).reduce((a, f) => a + f.sent, 0);
        const storedOf = async (name: string) => (await store.queryRaw({ deviceId: `${broker}-flood-${name}`, kind: 'smoke', from: 0, to: Date.now() + 7_200_000, limit: 1_000_000 })).length;
        // Settled: every flood message is either stored or counted as refused.
        let storedFlood: Record<string, number> = {};
        await waitFor(async () => {
          storedFlood = Object.fromEntries(await Promise.all(Object.keys(flooders).map(async (n) => [n, await storedOf(n)] as const)));
          return Object.values(storedFlood).reduce((a, b) => a + b, 0) + limited() === floodSent || undefined;
        }, { what: 'flood messages stored or refused', timeoutMs: 60_000 });
        await waitFor(async () => (await verifyStored(store, summary.messages!)).length === 0 || undefined, { what: 'every normal message stored', timeoutMs: 60_000 });
        expect(hub.rejects.recent(500).every((r) => r.reason !== 'rate_limited' || r.topic.includes('-flood-'))).toBe(true);
        for (const [name, f] of Object.entries(flood)) {
          // The budget over the time it flooded (plus the lead a device clock may have), never the flood.
          const budget = BURST + (PER_SECOND * (f.elapsedMs + DEFAULT_MAX_LEAD_MS + 1000)) / 1000;
          expect(storedFlood[name], name).toBeLessThanOrEqual(budget);
          expect(storedFlood[name], name).toBeGreaterThan(0);
        }
        const res = await fetch(`${hub.httpUrl}/api/ingest/rejected`, { headers: { authorization: `Bearer ${await loginToken(hub.httpUrl)}` } });
        expect(res.status).toBe(200);
        const listed = JSON.stringify(await res.json());
        expect(listed).toContain('rate_limited');
        report[`rateLimitFlood_${broker}`] = {
          acked: summary.acked,
          stored: summary.acked,
          lost: 0,
          duplicated: 0,
          flood: Object.fromEntries(Object.entries(flood).map(([n, f]) => [n, { sent: f.sent, stored: storedFlood[n], refused: f.sent - storedFlood[n]! }])),
        };
      } finally {
        if (broker === 'embedded') await hub.stop();
      }
    }, 120_000);
  }
});
