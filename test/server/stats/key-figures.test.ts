import { describe, expect, it } from 'vitest';
import type { Alert } from '#devices';
import type { Device } from '../../../server/src/registry/devices.ts';
import { keyFigures, startOfDay, type KeyFigureSources } from '../../../server/src/stats/key-figures.ts';

const device = (id: string, online: boolean, communityId = 'c1') => ({ id, online, communityId }) as Device;
const alert = (over: Partial<Alert>) =>
  ({ id: 'a', severity: 'critical', state: 'open', gridCellId: 'g1', communityId: 'c1', openedAt: 0, acknowledgedAt: null, ...over }) as Alert;

describe('startOfDay', () => {
  it('is midnight in Asia/Shanghai (UTC+8), whatever the server zone', () => {
    // 2026-12-02 01:30 in Shanghai is 2026-12-01 17:30 UTC: its day began at 2026-12-01 16:00 UTC.
    expect(startOfDay(Date.UTC(2026, 11, 1, 17, 30), 'Asia/Shanghai')).toBe(Date.UTC(2026, 11, 1, 16, 0));
    // 2026-12-02 23:59:59.999 Shanghai: the same day.
    expect(startOfDay(Date.UTC(2026, 11, 2, 15, 59, 59, 999), 'Asia/Shanghai')).toBe(Date.UTC(2026, 11, 1, 16, 0));
    expect(startOfDay(Date.UTC(2026, 11, 2, 16, 0), 'Asia/Shanghai')).toBe(Date.UTC(2026, 11, 2, 16, 0));
    expect(startOfDay(Date.UTC(2026, 11, 2, 3, 0), 'UTC')).toBe(Date.UTC(2026, 11, 2));
  });

  it('finds midnight across a DST change during the day', () => {
    // New York, 2026-03-08: clocks jump at 02:00 EST; midnight was EST (UTC-5).
    expect(startOfDay(Date.UTC(2026, 2, 8, 18, 0), 'America/New_York')).toBe(Date.UTC(2026, 2, 8, 5, 0));
    // 2026-11-01: clocks fall back at 02:00 EDT; midnight was EDT (UTC-4).
    expect(startOfDay(Date.UTC(2026, 10, 1, 18, 0), 'America/New_York')).toBe(Date.UTC(2026, 10, 1, 4, 0));
  });
});

describe('keyFigures', () => {
  const now = Date.UTC(2026, 11, 2, 2, 0); // 10:00 in Shanghai
  const shanghaiMidnight = Date.UTC(2026, 11, 1, 16, 0);
  const sources = (over: Partial<KeyFigureSources> = {}): KeyFigureSources & { asked: number[] } => {
    const asked: number[] = [];
    const today = [
      alert({ id: 't1', openedAt: shanghaiMidnight + 1000, acknowledgedAt: shanghaiMidnight + 61_000 }),
      alert({ id: 't2', openedAt: shanghaiMidnight + 2000, acknowledgedAt: shanghaiMidnight + 32_000 }),
      alert({ id: 't3', openedAt: shanghaiMidnight + 3000, acknowledgedAt: null }),
      alert({ id: 'x', communityId: 'c2', openedAt: shanghaiMidnight + 4000, acknowledgedAt: shanghaiMidnight + 1_004_000 }),
    ];
    return {
      asked,
      devices: [device('d1', true), device('d2', false), device('d3', true), device('x1', true, 'c2')],
      unresolved: [
        alert({ id: 'u1', severity: 'critical', state: 'open', gridCellId: 'g1' }),
        alert({ id: 'u2', severity: 'critical', state: 'acknowledged', gridCellId: 'g1' }),
        alert({ id: 'u3', severity: 'minor', state: 'open', gridCellId: null }),
        alert({ id: 'u4', severity: 'major', state: 'open', communityId: 'c2' }),
      ],
      openedSince: (since) => (asked.push(since), today.filter((a) => a.openedAt >= since)),
      ...over,
    };
  };
  const c1 = { device: (d: Device) => d.communityId === 'c1', alert: (a: Alert) => a.communityId === 'c1' };

  it('counts devices, unresolved alerts by severity and cell, and today’s mean time to acknowledge, within scope', () => {
    const src = sources();
    expect(keyFigures(src, c1, now)).toEqual({
      devices: { total: 3, online: 2, onlinePct: 66.7 },
      alerts: {
        openBySeverity: { critical: 2, major: 0, minor: 1, info: 0 },
        unacknowledgedBySeverity: { critical: 1, major: 0, minor: 1, info: 0 },
        perCell: { g1: 2, unassigned: 1 },
      },
      meanTimeToAcknowledgeTodayS: 45,
    });
    // "Today" began at midnight in Shanghai by default.
    expect(src.asked).toEqual([shanghaiMidnight]);
  });

  it('takes the day from the zone given', () => {
    const src = sources();
    keyFigures(src, c1, now, 'UTC');
    expect(src.asked).toEqual([Date.UTC(2026, 11, 2)]);
  });

  it('answers null where nothing is there to measure', () => {
    const none = { device: () => false, alert: () => false };
    expect(keyFigures(sources(), none, now)).toMatchObject({ devices: { total: 0, online: 0, onlinePct: null }, meanTimeToAcknowledgeTodayS: null });
  });
});
