import { describe, expect, it } from 'vitest';
import type { AlertChange } from '../../server/src/alerts/changes.ts';
import { alertFixture } from '../helpers/alerts.ts';

/** What the alert service emits: one typed change per history entry, carrying what the change says. */
function recorder() {
  const f = alertFixture();
  const changes: AlertChange[] = [];
  const stop = f.alerts.onChange((c) => changes.push(c));
  return { f, changes, stop, types: () => changes.map((c) => c.type) };
}

describe('alert changes', () => {
  it('a lifecycle emits opened, repeated, cleared, repeated (recurred), acknowledged, assigned, resolved', () => {
    const { f, changes, types } = recorder();
    const s1 = f.registry.get('s1')!;
    const a = f.alerts.signal(s1, { type: 'low_battery', action: 'active' })!;
    f.alerts.signal(s1, { type: 'low_battery', action: 'clear' });
    f.alerts.signal(s1, { type: 'low_battery', action: 'active' });
    f.alerts.acknowledge(a.id, 'zhang');
    f.alerts.acknowledge(a.id, 'zhang'); // no change: already acknowledged
    f.alerts.assign(a.id, 'w1', 'chen');
    f.alerts.resolve(a.id, 'zhang', 'battery replaced');
    expect(types()).toEqual(['opened', 'cleared', 'repeated', 'acknowledged', 'assigned', 'resolved']);
    // The stored history keeps its contract actions.
    expect(a.history.map((h) => h.action)).toEqual(['opened', 'notified', 'cleared', 'recurred', 'acknowledged', 'assigned', 'resolved']);
    expect(changes[0]).toMatchObject({ type: 'opened', grouped: false, controlRoom: true, level: 0, recipients: [{ id: 'w1' }] });
    expect(changes[2]).toMatchObject({ type: 'repeated', recurred: true });
    expect(changes[3]).toMatchObject({ type: 'acknowledged', actor: 'zhang' });
    expect(changes[4]).toMatchObject({ type: 'assigned', actor: 'chen', assignee: 'w1' });
    expect(changes[5]).toMatchObject({ type: 'resolved', actor: 'zhang', note: 'battery replaced' });
    // Every change carries the alert after it.
    for (const c of changes) expect(c.alert).toBe(a);
  });

  it('a repeat while open is repeated, not recurred; joining an incident is an opened change with grouped', () => {
    const { f, changes } = recorder();
    f.alerts.signal(f.registry.get('s1')!, { type: 'fire_alarm', action: 'event' });
    f.alerts.signal(f.registry.get('s1')!, { type: 'fire_alarm', action: 'event' });
    f.alerts.signal(f.registry.get('s2')!, { type: 'fire_alarm', action: 'event' });
    expect(changes.map((c) => [c.type, 'recurred' in c ? c.recurred : 'grouped' in c ? c.grouped : undefined])).toEqual([
      ['opened', false],
      ['repeated', false],
      ['opened', true],
    ]);
  });

  it('reminders and escalations carry the level and the recipients', () => {
    const { f, changes } = recorder();
    const a = f.alerts.signal(f.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
    const t0 = f.clock.now;
    for (const s of [60, 120, 240]) {
      f.clock.now = t0 + s * 1000;
      f.alerts.tick();
    }
    const summary = changes.slice(1).map((c) => (c.type === 'reminded' || c.type === 'escalated' ? [c.type, c.level, c.recipients.map((p) => p.id), c.controlRoom] : [c.type]));
    expect(summary).toEqual([
      ['reminded', 0, ['w1'], true],
      ['escalated', 1, ['sup1'], false],
      ['reminded', 1, ['w1', 'sup1'], true],
      ['escalated', 2, ['lead1'], true],
      ['reminded', 2, ['w1', 'sup1', 'lead1'], true],
    ]);
    expect(a.escalationLevel).toBe(2);
  });

  it('an annotation is appended to the history and emitted with its entry; a snapshot changes the alert', () => {
    const { f, changes } = recorder();
    const a = f.alerts.signal(f.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
    f.alerts.annotate(a.id, { action: 'webhook_delivered', by: 'system', detail: { attempts: 1 } });
    const annotated = changes.at(-1)!;
    expect(annotated).toMatchObject({ type: 'annotated', entry: { action: 'webhook_delivered', at: f.clock.now, detail: { attempts: 1 } } });
    expect(annotated.type === 'annotated' && annotated.entry).toBe(a.history.at(-1));
    f.alerts.attachSnapshot(a.id, { url: `/api/alerts/${a.id}/snapshots/x.jpg`, cameraId: 'cam1', takenAt: f.clock.now }, 1234);
    expect(changes.at(-1)).toMatchObject({ type: 'snapshot_attached', snapshot: { cameraId: 'cam1' } });
    expect(a.snapshots).toHaveLength(1);
    expect(a.history.at(-1)).toMatchObject({ action: 'snapshot', detail: { cameraId: 'cam1', bytes: 1234 } });
    // Resolved alerts still take annotations (a late webhook answer), from the repository.
    f.alerts.resolve(a.id, 'x', 'done');
    expect(f.alerts.annotate(a.id, { action: 'webhook_failed', by: 'system' })!.history.at(-1)!.action).toBe('webhook_failed');
    expect(f.alerts.annotate('a-missing', { action: 'webhook_failed', by: 'system' })).toBeUndefined();
  });

  it('a failing listener does not stop the others, and a removed listener hears nothing more', () => {
    const { f, changes, stop } = recorder();
    f.alerts.onChange(() => {
      throw new Error('boom');
    });
    const after: string[] = [];
    f.alerts.onChange((c) => after.push(c.type));
    const a = f.alerts.signal(f.registry.get('s1')!, { type: 'fire_alarm', action: 'event' })!;
    expect(after).toEqual(['opened']);
    stop();
    f.alerts.acknowledge(a.id, 'w1');
    expect(changes.map((c) => c.type)).toEqual(['opened']);
    expect(after).toEqual(['opened', 'acknowledged']);
  });
});
