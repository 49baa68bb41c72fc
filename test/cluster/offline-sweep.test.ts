import { describe, expect, it } from 'vitest';
import { kindSpecs } from '#devices';
import { EventBus } from '../../server/src/events.ts';
import { createLogger } from '../../server/src/log.ts';
import { RuleEngine } from '../../server/src/rules/engine.ts';
import { alertFixture } from '../helpers/alerts.ts';

/** Cluster mode: a device's silence is judged by its community's holder, from when it took the community over. */
describe('offline detection in cluster mode', () => {
  it('judges only held communities, and a community just taken over from the takeover on', () => {
    const f = alertFixture();
    const held = new Set<string>();
    const bus = new EventBus(createLogger('silent'));
    const flips: string[] = [];
    bus.on('deviceState', ({ deviceId, online }) => flips.push(`${deviceId}:${online}`));
    const rules = new RuleEngine({
      bus, registry: f.registry, grid: f.grid, alerts: f.alerts, clock: () => f.clock.now, log: createLogger('silent'), cameraCoverage: new Map(),
      owns: (c) => held.has(c),
    });
    const s1 = f.registry.get('s1')!;
    const limitMs = kindSpecs.smoke.reportingPeriodS * 1000 * rules.thresholds('c1').offlineAfterPeriods;
    // Heard long ago (this hub held c1 then, or never since).
    f.registry.setOnline(s1, true);
    f.registry.touch(s1, f.clock.now - 10 * limitMs);

    rules.sweepSilence();
    expect(flips).toEqual([]);
    held.add('c1');
    rules.sweepSilence();
    // Just taken over: the devices' silence counts from now.
    expect(flips).toEqual([]);
    f.clock.now += limitMs - 1000;
    rules.sweepSilence();
    expect(flips).toEqual([]);
    f.clock.now += 2000;
    rules.sweepSilence();
    expect(flips).toEqual(['s1:false']);

    // Given up and taken again: a new grace.
    f.registry.setOnline(s1, true);
    held.delete('c1');
    rules.sweepSilence();
    held.add('c1');
    rules.sweepSilence();
    f.clock.now += limitMs - 1000;
    rules.sweepSilence();
    expect(flips).toEqual(['s1:false']);
  });
});
