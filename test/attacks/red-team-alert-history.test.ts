import { describe, expect, it } from 'vitest';
import { alertFixture } from '../helpers/alerts.ts';

/**
 * Every repeat of an open alert's condition appended to its history, and every change saved and
 * sent the whole alert (SQLite, every WebSocket, MQTT). One device within its rate budget (50/s of
 * tamper events, or alarm/alarm_cleared flapping) grew one alert by 180,000 entries an hour: each
 * further change serialised megabytes, the hub's event loop slowed for every device, and past 8 MB a
 * broadcast cut every dashboard off.
 */
describe('a repeating or flapping device cannot grow an alert without bound', () => {
  it('5,000 repeats and 2,500 alarm/clear flaps keep the history bounded, the count exact, the opening and people\'s actions kept', () => {
    const f = alertFixture();
    const s1 = f.registry.get('s1')!;
    const tamper = f.alerts.signal(s1, { type: 'smoke_tamper', action: 'event' })!;
    f.alerts.acknowledge(tamper.id, 'w1');
    let lastThousandMs = 0;
    for (let i = 0; i < 5000; i++) {
      f.clock.now += 20;
      const t = performance.now();
      f.alerts.signal(s1, { type: 'smoke_tamper', action: 'event' });
      if (i >= 4000) lastThousandMs += performance.now() - t;
    }
    // Unbounded, these took about 3 ms each and kept growing: 50/s from one device was a core.
    expect(lastThousandMs).toBeLessThan(1500);
    const fire = f.alerts.signal(s1, { type: 'fire_alarm', action: 'event' })!;
    for (let i = 0; i < 2500; i++) {
      f.clock.now += 20;
      f.alerts.signal(s1, { type: 'fire_alarm', action: 'clear' });
      f.clock.now += 20;
      f.alerts.signal(s1, { type: 'fire_alarm', action: 'event' });
    }
    for (const a of [tamper, fire]) {
      expect(a.history.length).toBeLessThanOrEqual(210);
      expect(JSON.stringify(a).length).toBeLessThan(64 * 1024);
      expect(a.history[0]!.action).toBe('opened');
      expect(a.historyOmitted).toBeGreaterThan(0);
      // The latest change is always there.
      expect(a.history.at(-1)!.at).toBe(a.lastSeenAt);
    }
    expect(tamper.count).toBe(5001);
    expect(fire.count).toBe(2501);
    expect(tamper.history.some((h) => h.action === 'acknowledged' && h.by === 'w1')).toBe(true);
    // What was saved is what was sent.
    const saved = f.restart().get(tamper.id)!;
    expect(saved.history.length).toBe(tamper.history.length);
    expect(saved.historyOmitted).toBe(tamper.historyOmitted);
  });
});
