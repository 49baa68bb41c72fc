import { describe, expect, it } from 'vitest';
import type { DeviceMessage } from '../../server/src/events.ts';
import { EventBus } from '../../server/src/events.ts';
import { createLogger } from '../../server/src/log.ts';
import { RuleEngine } from '../../server/src/rules/engine.ts';
import type { DeviceRuleState } from '../../server/src/rules/types.ts';
import { alertFixture } from '../helpers/alerts.ts';

/** Cluster mode writes rule memory to PostgreSQL (fenced): only what a rule keeps, and only when it changes. */
describe('rule memory handed to the shared state', () => {
  it('writes nothing for a device whose rules keep nothing, and each change of what they keep once', () => {
    const f = alertFixture();
    const written: [string, DeviceRuleState][] = [];
    const rules = new RuleEngine({
      bus: new EventBus(createLogger('silent')), registry: f.registry, grid: f.grid, alerts: f.alerts, clock: () => f.clock.now,
      log: createLogger('silent'), cameraCoverage: new Map(), onMemory: (device, state) => written.push([device.id, structuredClone(state)]),
    });
    const msg = (deviceId: string, m: Partial<DeviceMessage>) =>
      ({ deviceId, communityId: 'c1', gridCellId: 'g1', receivedAt: f.clock.now, ts: f.clock.now, seq: 1, readings: {}, detail: {}, ...m }) as DeviceMessage;

    // A city's first heartbeat period: every device's first reading, nothing to remember.
    rules.evaluate(msg('s1', { kind: 'smoke', channel: 'telemetry', readings: { smoke_obscuration_pct_per_m: 0.1, battery_pct: 90 } }));
    rules.evaluate(msg('s2', { kind: 'smoke', channel: 'telemetry', readings: { smoke_obscuration_pct_per_m: 0.1, battery_pct: 90 } }));
    rules.evaluate(msg('gate1', { kind: 'gate', channel: 'telemetry', readings: { door: 'closed' } }));
    expect(written.filter(([, s]) => Object.keys(s).length === 0)).toEqual([]);

    // A door opened: its rule keeps the time; the same again changes nothing; closing it changes it once more.
    rules.evaluate(msg('gate1', { kind: 'gate', channel: 'telemetry', readings: { door: 'open' } }));
    const afterOpen = written.length;
    expect(afterOpen).toBeGreaterThan(0);
    expect(written.at(-1)![0]).toBe('gate1');
    rules.evaluate(msg('gate1', { kind: 'gate', channel: 'telemetry', readings: { door: 'open' } }));
    expect(written.length).toBe(afterOpen);
    rules.evaluate(msg('gate1', { kind: 'gate', channel: 'telemetry', readings: { door: 'closed' } }));
    expect(written.length).toBe(afterOpen + 1);
  });
});
