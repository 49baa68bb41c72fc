import { describe, expect, it } from 'vitest';
import { CaseDeadlines } from '../../server/src/cases/deadlines.ts';
import { WorkingCalendar } from '../../server/src/cases/working-time.ts';
import { parseHubConfig } from '../../server/src/grid/config-file.ts';

/** A moment in China time (UTC+8). */
const cn = (y: number, mo: number, d: number, h: number, mi = 0) => Date.UTC(y, mo - 1, d, h - 8, mi);
const iso = (t: number) => new Date(t + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');
const cal = new WorkingCalendar();

// 2025: 国庆 and 中秋 run 10-01 to 10-08; Sunday 09-28 and Saturday 10-11 are worked instead (调休).
describe('working time on China’s calendar', () => {
  it('knows holidays and make-up working days from chinese-days', () => {
    expect(cal.isWorkday(cn(2025, 10, 1, 10))).toBe(false);
    expect(cal.isWorkday(cn(2025, 10, 8, 10))).toBe(false);
    expect(cal.isWorkday(cn(2025, 10, 11, 10))).toBe(true); // 调休 Saturday
    expect(cal.isWorkday(cn(2025, 9, 28, 10))).toBe(true); // 调休 Sunday
    expect(cal.isWorkday(cn(2025, 9, 27, 10))).toBe(false); // an ordinary Saturday
    expect(cal.isWorkingTime(cn(2025, 10, 11, 9))).toBe(true);
    expect(cal.isWorkingTime(cn(2025, 10, 10, 12, 30))).toBe(false); // lunch
    expect(cal.isWorkingTime(cn(2025, 10, 10, 17, 30))).toBe(false); // the day ends at 17:30
  });

  it('counts working minutes across the lunch break and the night', () => {
    expect(iso(cal.addWorkingMinutes(cn(2025, 11, 4, 11, 50), 20))).toBe('2025-11-04 13:40');
    expect(iso(cal.addWorkingMinutes(cn(2025, 11, 4, 7, 0), 30))).toBe('2025-11-04 09:00');
    expect(iso(cal.addWorkingMinutes(cn(2025, 11, 4, 17, 10), 30))).toBe('2025-11-05 08:40');
    expect(iso(cal.addWorkingMinutes(cn(2025, 11, 4, 17, 0), 30))).toBe('2025-11-04 17:30');
    expect(cal.addWorkingMinutes(cn(2025, 11, 4, 20, 0), 0)).toBe(cn(2025, 11, 4, 20, 0));
  });

  it('skips an ordinary weekend', () => {
    expect(iso(cal.addWorkingMinutes(cn(2025, 11, 7, 17, 0), 60))).toBe('2025-11-10 09:00');
  });

  it('skips 国庆 and works the 调休 days', () => {
    // 30 minutes asked on the last evening before the holiday are due the first morning after it.
    expect(iso(cal.addWorkingMinutes(cn(2025, 9, 30, 17, 10), 30))).toBe('2025-10-09 08:40');
    // Reported on the holiday itself: the clock starts when work does.
    expect(iso(cal.addWorkingMinutes(cn(2025, 10, 3, 10, 0), 30))).toBe('2025-10-09 09:00');
    // Friday evening before the 调休 Saturday: due on Saturday morning, not Monday.
    expect(iso(cal.addWorkingMinutes(cn(2025, 10, 10, 17, 0), 60))).toBe('2025-10-11 09:00');
    // The 调休 Saturday evening: Sunday is rest again.
    expect(iso(cal.addWorkingMinutes(cn(2025, 10, 11, 17, 0), 60))).toBe('2025-10-13 09:00');
    // The 调休 Sunday before the holiday is a working day.
    expect(iso(cal.addWorkingMinutes(cn(2025, 9, 26, 17, 0), 60))).toBe('2025-09-28 09:00');
  });

  it('a working day is one day of working minutes', () => {
    expect(cal.minutesPerDay).toBe(450);
    // Tuesday before 国庆, 10:00, plus two working days: Thursday 10-09 and Friday 10-10.
    expect(iso(cal.addWorkingDays(cn(2025, 9, 30, 10, 0), 2))).toBe('2025-10-10 10:00');
    expect(iso(cal.addWorkingDays(cn(2025, 11, 7, 10, 0), 2))).toBe('2025-11-11 10:00');
    expect(cal.workingMinutesBetween(cn(2025, 9, 30, 10, 0), cn(2025, 10, 10, 10, 0))).toBe(900);
    expect(cal.workingMinutesBetween(cn(2025, 10, 10, 10, 0), cn(2025, 9, 30, 10, 0))).toBe(0);
  });

  it('takes its working hours and offset from configuration', () => {
    const long = new WorkingCalendar({ periods: [{ start: '09:00', end: '18:00' }] });
    expect(long.minutesPerDay).toBe(540);
    expect(iso(long.addWorkingMinutes(cn(2025, 11, 4, 17, 30), 60))).toBe('2025-11-05 09:30');
    // The same wall-clock rule in UTC: 08:30 UTC is 16:30 in Beijing.
    const utc = new WorkingCalendar({ utcOffsetMin: 0 });
    expect(utc.addWorkingMinutes(Date.UTC(2025, 10, 4, 7, 0), 30)).toBe(Date.UTC(2025, 10, 4, 9, 0));
    expect(() => new WorkingCalendar({ periods: [{ start: '12:00', end: '09:00' }] })).toThrow(/end after/);
    expect(() => new WorkingCalendar({ periods: [{ start: '08:00', end: '12:00' }, { start: '11:00', end: '13:00' }] })).toThrow(/overlap/);
  });
});

describe('case deadlines per category', () => {
  it('uses working time for most categories and the clock for fire', () => {
    const d = new CaseDeadlines();
    // A hazard reported on 10-03 (holiday) must be accepted by 09:00 on the first working day.
    expect(iso(d.due('hazard', 'accepted', cn(2025, 10, 3, 10))!)).toBe('2025-10-09 09:00');
    expect(iso(d.due('hazard', 'disposed', cn(2025, 9, 30, 10))!)).toBe('2025-10-10 10:00');
    // Two working hours from 16:00 on the last day before the holiday: 90 minutes that day, 30 after it.
    expect(iso(d.due('hazard', 'dispatched', cn(2025, 9, 30, 16))!)).toBe('2025-10-09 09:00');
    expect(d.due('fire', 'accepted', cn(2025, 10, 3, 3))).toBe(cn(2025, 10, 3, 3, 5));
    expect(d.due('fire', 'closed', cn(2025, 10, 3, 3))).toBe(cn(2025, 10, 4, 3));
    expect(d.due('nope', 'accepted', 0)).toBeUndefined();
    expect(d.has('dispute')).toBe(true);
  });

  it('takes categories, hours and offsets from the config file', () => {
    const file = parseHubConfig({
      cases: {
        workingHours: [{ start: '09:00', end: '17:00' }],
        categories: { hazard: { deadlines: { accepted: '10m' } }, parking: { name: { zh: '停车', en: 'Parking' }, deadlines: { disposed: '1d' } } },
      },
    });
    const d = new CaseDeadlines(file.cases);
    expect(iso(d.due('hazard', 'accepted', cn(2025, 11, 4, 8, 0))!)).toBe('2025-11-04 09:10');
    // Replacing a category replaces its deadlines: no default left for disposing a hazard.
    expect(d.due('hazard', 'disposed', cn(2025, 11, 4, 8, 0))).toBeUndefined();
    expect(iso(d.due('parking', 'disposed', cn(2025, 11, 4, 10, 0))!)).toBe('2025-11-05 10:00');
    expect(d.categories().find((c) => c.id === 'parking')!.name).toEqual({ zh: '停车', en: 'Parking' });
    expect(() => parseHubConfig({ cases: { categories: { hazard: { deadlines: { accepted: '30 minutes' } } } } })).toThrow(/cases/);
    expect(() => parseHubConfig({ cases: { workingHours: [{ start: '8:30', end: '12:00' }] } })).toThrow(/cases/);
  });
});
