import { describe, expect, it } from 'vitest';
import { alertFixture, SAMPLE_CONFIG } from '../helpers/alerts.ts';

const actions = (a: { history: { action: string }[] }) => a.history.map((h) => h.action);

describe('alert lifecycle', () => {
  it('opens one alert per (device, type); repeats raise count and lastSeenAt', () => {
    const f = alertFixture();
    const s1 = f.registry.get('s1')!;
    const a = f.alerts.signal(s1, { type: 'fire_alarm', action: 'event' })!;
    expect(a).toMatchObject({ state: 'open', severity: 'critical', count: 1, deviceId: 's1', gridCellId: 'g1', communityId: 'c1', buildingId: 'b1', floor: 3 });
    f.clock.now += 5000;
    const again = f.alerts.signal(s1, { type: 'fire_alarm', action: 'event' })!;
    expect(again.id).toBe(a.id);
    expect(again).toMatchObject({ count: 2, lastSeenAt: f.clock.now });
    expect(f.alerts.unresolved()).toHaveLength(1);
    expect(actions(a)).toEqual(['opened', 'notified', 'repeated']);
    // The notification names the cell's worker; the control room gets everything.
    expect(a.history[1]!.detail).toMatchObject({ to: [{ id: 'w1', name: '张伟', phone: '13800000001' }], controlRoom: 'c1' });
  });

  it('a level condition counts only its transitions', () => {
    const f = alertFixture();
    const s1 = f.registry.get('s1')!;
    for (let i = 0; i < 5; i++) f.alerts.signal(s1, { type: 'low_battery', action: 'active' });
    expect(f.alerts.unresolved()[0]).toMatchObject({ count: 1, severity: 'minor', clearedAt: null });
    f.clock.now += 1000;
    f.alerts.signal(s1, { type: 'low_battery', action: 'clear' });
    expect(f.alerts.unresolved()[0]!.clearedAt).toBe(f.clock.now);
    f.alerts.signal(s1, { type: 'low_battery', action: 'active' });
    expect(f.alerts.unresolved()[0]).toMatchObject({ count: 2, clearedAt: null });
    expect(actions(f.alerts.unresolved()[0]!)).toEqual(['opened', 'notified', 'cleared', 'recurred']);
  });

  it('clearing is separate from acknowledging and resolving; who did what is recorded', () => {
    const f = alertFixture();
    const s1 = f.registry.get('s1')!;
    const a = f.alerts.signal(s1, { type: 'fire_alarm', action: 'event' })!;
    f.alerts.signal(s1, { type: 'fire_alarm', action: 'clear' });
    expect(a.state).toBe('open'); // a critical alert still needs a person
    f.clock.now += 30_000;
    f.alerts.acknowledge(a.id, 'zhang');
    expect(a).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'zhang', acknowledgedAt: f.clock.now, ackDeadlineAt: null });
    f.alerts.assign(a.id, 'w1', 'chen');
    f.alerts.resolve(a.id, 'zhang', 'burnt toast, ventilated');
    expect(a).toMatchObject({ state: 'resolved', resolvedBy: 'zhang', assignee: 'w1' });
    expect(a.history.at(-1)).toMatchObject({ action: 'resolved', by: 'zhang', note: 'burnt toast, ventilated' });
    expect(actions(a)).toEqual(['opened', 'notified', 'cleared', 'acknowledged', 'assigned', 'resolved']);
    expect(() => f.alerts.acknowledge(a.id, 'x')).toThrow(/already resolved/);
    // After resolution the same condition opens a new alert.
    const b = f.alerts.signal(s1, { type: 'fire_alarm', action: 'event' })!;
    expect(b.id).not.toBe(a.id);
  });

  it('resolving an unacknowledged alert also acknowledges it', () => {
    const f = alertFixture();
    const a = f.alerts.signal(f.registry.get('s1')!, { type: 'smoke_tamper', action: 'event' })!;
    f.alerts.resolve(a.id, 'li', 'cover refitted');
    expect(a).toMatchObject({ acknowledgedBy: 'li', resolvedBy: 'li' });
  });

  it('offline severity follows the kind: minor for smoke, major for gates', () => {
    const f = alertFixture();
    expect(f.alerts.signal(f.registry.get('s1')!, { type: 'device_offline', action: 'active' })!.severity).toBe('minor');
    expect(f.alerts.signal(f.registry.get('gate1')!, { type: 'device_offline', action: 'active' })!.severity).toBe('major');
  });
});

describe('incidents', () => {
  it('groups fire alarms in one building within the window, not across buildings or after the window', () => {
    const f = alertFixture();
    const a1 = f.alerts.signal(f.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
    f.clock.now += 60_000;
    const a2 = f.alerts.signal(f.registry.get('s2')!, { type: 'fire_alarm', action: 'event' })!;
    const other = f.alerts.signal(f.registry.get('s3')!, { type: 'fire_alarm', action: 'event' })!;
    expect(a2.incidentId).toBe(a1.incidentId);
    expect(actions(a2)).toContain('grouped');
    expect(other.incidentId).not.toBe(a1.incidentId);
    f.clock.now += 11 * 60_000;
    f.alerts.resolve(a2.id, 'x', 'done');
    const late = f.alerts.signal(f.registry.get('s2')!, { type: 'fire_alarm', action: 'event' })!;
    expect(late.incidentId).not.toBe(a1.incidentId);
  });

  it('a forced door and motion on the camera covering it are one intrusion', () => {
    const f = alertFixture();
    const door = f.alerts.signal(f.registry.get('gate1')!, { type: 'door_forced', action: 'event' })!;
    const motion = f.alerts.signal(f.registry.get('cam1')!, { type: 'intrusion_motion', action: 'event' })!;
    expect(motion.incidentId).toBe(door.incidentId);
    expect(motion.severity).toBe('info');
  });
});

describe('escalation (injected clock, no sleeping)', () => {
  it('critical: supervisor at 2 min, control-room lead at 4 min, reminders every minute until acknowledged', () => {
    const f = alertFixture();
    const a = f.alerts.signal(f.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
    const t0 = f.clock.now;
    const at = (s: number) => {
      f.clock.now = t0 + s * 1000;
      f.alerts.tick();
    };
    at(59);
    expect(actions(a)).toEqual(['opened', 'notified']);
    at(60);
    expect(actions(a).at(-1)).toBe('reminded');
    at(119);
    expect(a.escalationLevel).toBe(0);
    at(120);
    expect(a.escalationLevel).toBe(1);
    const escalated = a.history.find((h) => h.action === 'escalated')!;
    expect(escalated.detail).toMatchObject({ level: 1, to: [{ id: 'sup1', role: 'supervisor' }] });
    at(239);
    expect(a.escalationLevel).toBe(1);
    at(240);
    expect(a.escalationLevel).toBe(2);
    expect(a.history.filter((h) => h.action === 'escalated').at(-1)!.detail).toMatchObject({ level: 2, to: [{ id: 'lead1', role: 'lead' }] });
    // Level 2 is the last; reminders go on, now including supervisor and lead.
    at(1000);
    expect(a.escalationLevel).toBe(2);
    expect(a.history.filter((h) => h.action === 'reminded').at(-1)!.detail!.to).toHaveLength(3);
    const reminders = a.history.filter((h) => h.action === 'reminded').length;
    f.alerts.acknowledge(a.id, 'w1');
    at(5000);
    expect(a.history.filter((h) => h.action === 'reminded').length).toBe(reminders);
  });

  it('deadlines follow severity (major 10 min, minor 60 min) and the config', () => {
    const f = alertFixture();
    const major = f.alerts.signal(f.registry.get('gate1')!, { type: 'tailgating', action: 'event' })!;
    const minor = f.alerts.signal(f.registry.get('s1')!, { type: 'low_battery', action: 'active' })!;
    expect(major.ackDeadlineAt! - major.openedAt).toBe(600_000);
    expect(minor.ackDeadlineAt! - minor.openedAt).toBe(3_600_000);
    const custom = alertFixture({ ...SAMPLE_CONFIG, escalation: { ackDeadlineS: { critical: 30 }, reminderIntervalS: { critical: 10 } } });
    const c = custom.alerts.signal(custom.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
    expect(c.ackDeadlineAt! - c.openedAt).toBe(30_000);
    custom.clock.now += 10_000;
    custom.alerts.tick();
    expect(actions(c).at(-1)).toBe('reminded');
  });

  it('a restart keeps open alerts, their deadlines and history, and escalates on time', () => {
    const f = alertFixture();
    const a = f.alerts.signal(f.registry.get('s4')!, { type: 'fire_alarm', action: 'event' })!;
    f.clock.now += 90_000;
    f.alerts.tick();
    const after = f.restart();
    const loaded = after.get(a.id)!;
    expect(loaded).toMatchObject({ state: 'open', ackDeadlineAt: a.ackDeadlineAt, escalationLevel: 0 });
    expect(loaded.history.map((h) => h.action)).toEqual(['opened', 'notified', 'reminded']);
    f.clock.now = a.ackDeadlineAt!;
    after.tick();
    expect(after.get(a.id)!).toMatchObject({ escalationLevel: 1 });
    expect(after.get(a.id)!.history.find((h) => h.action === 'escalated')!.detail).toMatchObject({ to: [{ id: 'sup2' }] });
    // Dedup survives the restart too.
    after.signal(f.registry.get('s4')!, { type: 'fire_alarm', action: 'event' });
    expect(after.unresolved()).toHaveLength(1);
    expect(after.get(a.id)!.count).toBe(2);
  });
});
