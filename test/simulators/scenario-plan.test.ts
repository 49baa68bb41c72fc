import { describe, expect, it } from 'vitest';
import { buildDistrict, loadScenario, parseScenario, planScenario, runScenario, scenarioPath } from '../../simulators/community/index.ts';
import { recordingLinks, type Recorded } from './recorder.ts';

const demo = loadScenario(scenarioPath('demo'));

describe('scenario plan', () => {
  it('the same seed resolves the same devices and the same ground truth', () => {
    const district = buildDistrict({ seed: 4 });
    const a = planScenario(demo, district, 4, 0);
    const b = planScenario(demo, buildDistrict({ seed: 4 }), 4, 0);
    expect(b).toEqual(a);
    expect(a.expected.length).toBeGreaterThanOrEqual(7);
    // Ground truth format: one entry per (device, alert type).
    expect(new Set(a.expected.map((e) => `${e.deviceId}/${e.type}`)).size).toBe(a.expected.length);
    expect(a.expected.map((e) => e.type).sort()).toEqual(
      ['camera_tamper', 'device_offline', 'door_forced', 'fire_alarm', 'fire_alarm', 'fire_alarm', 'intrusion_motion', 'low_water_pressure', 'tailgating'].sort(),
    );
    expect(a.dedicated).toHaveLength(1);
  });

  it('covers the incidents the issue names', () => {
    const plan = planScenario(demo, buildDistrict({ seed: 1, households: 300 }), 1, 0);
    const events = plan.steps.flatMap((s) => (s.event ? [s.event.type] : []));
    expect(events).toEqual(expect.arrayContaining(['alarm', 'alarm_cleared', 'door_forced', 'tailgating', 'tamper']));
    expect(plan.steps.some((s) => s.offline)).toBe(true);
    expect(plan.steps.some((s) => typeof s.set?.water_pressure_mpa === 'number' && s.set.water_pressure_mpa < 0.15)).toBe(true);
    // The forced door happens at night on the scenario clock.
    const forced = plan.steps.find((s) => s.event?.type === 'door_forced')!;
    const hour = Number(new Date(plan.clockStart + forced.atS * 1000).toLocaleString('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', hourCycle: 'h23' }));
    expect(hour >= 22 || hour < 6).toBe(true);
  });

  it('refuses scripts that break the contract, naming the step', () => {
    const district = buildDistrict({ seed: 1, households: 300 });
    const bad = (step: object) => () => planScenario(parseScenario({ name: 'bad', steps: [{ at: 1, target: { kind: 'smoke' }, ...step }] }), district, 1);
    expect(bad({ event: { type: 'explode' } })).toThrow(/step 1.*not a valid smoke event/);
    expect(bad({ telemetry: { battery_pct: 150 } })).toThrow(/not a valid smoke telemetry/);
    expect(bad({ expect: ['fire'] })).toThrow(/unknown alert type "fire"/);
    expect(() => parseScenario({ name: 'x', steps: [{ at: 1, target: { kind: 'toaster' } }] })).toThrow(/scenario/);
    expect(() => planScenario(parseScenario({ name: 'x', steps: [{ at: 1, target: 'nope' }] }), district, 1)).toThrow(/no device or alias "nope"/);
  });
});

describe('scenario run (recorded, no broker)', () => {
  async function record(seed: number): Promise<{ scripted: string[]; perDevice: Map<string, string[]>; expected: unknown }> {
    const { links, log } = recordingLinks();
    const fromScript: Recorded[] = [];
    const sim = await runScenario({
      links,
      seed,
      district: { seed, households: 300 },
      timeScale: 2000,
      scenario: 'demo',
      onPublish: (topic, payload, source) => source === 'scenario' && fromScript.push({ clientId: '', topic, payload, retain: false }),
    });
    await sim.done;
    await sim.stop();
    const strip = (r: Recorded) => {
      if (!r.payload.startsWith('{')) return `${r.topic} ${r.payload}`;
      const { ts: _ts, seq: _seq, ...body } = JSON.parse(r.payload) as Record<string, unknown>;
      return `${r.topic} ${JSON.stringify(body)}`;
    };
    // What the script publishes, in order...
    const targets = new Set(sim.plan!.steps.map((s) => s.deviceId));
    const scripted = fromScript.map(strip);
    // ...and every device's own readings in its own order (interleaving across devices follows real time).
    const perDevice = new Map<string, string[]>();
    for (const r of log) {
      if (!r.topic.endsWith('/telemetry')) continue;
      const dev = r.topic.split('/')[3]!;
      if (targets.has(dev)) continue;
      const list = perDevice.get(dev) ?? [];
      if (list.length < 3) list.push(strip(r));
      perDevice.set(dev, list);
    }
    return { scripted, perDevice, expected: sim.expected };
  }

  it('the same seed gives the same scripted event sequence and the same readings', async () => {
    const a = await record(11);
    const b = await record(11);
    expect(a.scripted.length).toBeGreaterThan(20);
    expect(b.scripted).toEqual(a.scripted);
    expect(b.expected).toEqual(a.expected);
    let compared = 0;
    for (const [dev, readings] of a.perDevice) {
      const other = b.perDevice.get(dev);
      if (!other) continue;
      const n = Math.min(readings.length, other.length);
      expect(other.slice(0, n)).toEqual(readings.slice(0, n));
      compared++;
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('a scripted outage severs the device’s own connection, which carries its last will', async () => {
    const { links, log, wills } = recordingLinks();
    const sim = await runScenario({ links, seed: 1, district: { seed: 1, households: 300 }, timeScale: 2000, scenario: 'demo', routine: false });
    await sim.done;
    await sim.stop();
    const offline = sim.plan!.steps.find((s) => s.offline)!;
    const statusTopic = `community/${offline.communityId}/${offline.kind}/${offline.deviceId}/status`;
    expect([...wills.values()]).toContain(statusTopic);
    const statuses = log.filter((r) => r.topic === statusTopic).map((r) => r.payload);
    expect(statuses).toEqual(['online', '<socket severed: last will>', 'online']);
  });
});
