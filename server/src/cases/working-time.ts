import chineseDays from 'chinese-days';

/** One span of the working day, local time "HH:MM". */
export interface WorkingPeriod {
  start: string;
  end: string;
}

export interface WorkingCalendarOptions {
  /** default 08:30–12:00 and 13:30–17:30 */
  periods?: readonly WorkingPeriod[];
  /** the calendar's fixed offset from UTC; China +480 (no daylight saving) */
  utcOffsetMin?: number;
  /** whether a date (YYYY-MM-DD) is a working day; default China's calendar with 调休 (chinese-days) */
  isWorkday?: (date: string) => boolean;
}

export const DEFAULT_WORKING_PERIODS: readonly WorkingPeriod[] = [
  { start: '08:30', end: '12:00' },
  { start: '13:30', end: '17:30' },
];

const MIN = 60_000;
const DAY = 86_400_000;
/** Ten years of days without a working minute means a broken calendar, not a deadline. */
const MAX_DAYS = 3660;

/**
 * Working time: the periods of each working day, where working days are China's — weekdays
 * minus public holidays, plus the weekend days worked in exchange (调休) — from the maintained
 * `chinese-days` calendar, never a hand-written list.
 */
export class WorkingCalendar {
  readonly periods: readonly { startMin: number; endMin: number }[];
  readonly minutesPerDay: number;
  private readonly offsetMs: number;
  private readonly workday: (date: string) => boolean;

  constructor(o: WorkingCalendarOptions = {}) {
    this.periods = parsePeriods(o.periods ?? DEFAULT_WORKING_PERIODS);
    this.minutesPerDay = this.periods.reduce((s, p) => s + p.endMin - p.startMin, 0);
    this.offsetMs = (o.utcOffsetMin ?? 480) * MIN;
    this.workday = o.isWorkday ?? ((d) => chineseDays.isWorkday(d));
  }

  isWorkday(at: number): boolean {
    return this.workday(localDate(at + this.offsetMs));
  }

  /** Whether `at` falls inside a working period of a working day. */
  isWorkingTime(at: number): boolean {
    const local = at + this.offsetMs;
    if (!this.workday(localDate(local))) return false;
    const minute = (local - Math.floor(local / DAY) * DAY) / MIN;
    return this.periods.some((p) => minute >= p.startMin && minute < p.endMin);
  }

  /** The moment `minutes` working minutes after `from` have passed (from itself when minutes is 0). */
  addWorkingMinutes(from: number, minutes: number): number {
    if (minutes <= 0) return from;
    let remaining = minutes * MIN;
    let dayStart = Math.floor((from + this.offsetMs) / DAY) * DAY;
    for (let i = 0; i < MAX_DAYS; i++, dayStart += DAY) {
      if (!this.workday(localDate(dayStart))) continue;
      for (const p of this.periods) {
        const start = Math.max(dayStart + p.startMin * MIN - this.offsetMs, from);
        const end = dayStart + p.endMin * MIN - this.offsetMs;
        if (start >= end) continue;
        if (remaining <= end - start) return start + remaining;
        remaining -= end - start;
      }
    }
    throw new Error(`no working time within ${MAX_DAYS} days of ${new Date(from).toISOString()}`);
  }

  /** A working day is one day's working minutes: 2 working days from Friday 10:00 is Tuesday 10:00. */
  addWorkingDays(from: number, days: number): number {
    return this.addWorkingMinutes(from, days * this.minutesPerDay);
  }

  /** Working minutes between two moments (0 when `to` is not after `from`). */
  workingMinutesBetween(from: number, to: number): number {
    if (to <= from) return 0;
    let total = 0;
    let dayStart = Math.floor((from + this.offsetMs) / DAY) * DAY;
    for (; dayStart - this.offsetMs < to; dayStart += DAY) {
      if (!this.workday(localDate(dayStart))) continue;
      for (const p of this.periods) {
        const start = Math.max(dayStart + p.startMin * MIN - this.offsetMs, from);
        const end = Math.min(dayStart + p.endMin * MIN - this.offsetMs, to);
        if (end > start) total += end - start;
      }
    }
    return total / MIN;
  }
}

function localDate(localMs: number): string {
  return new Date(localMs).toISOString().slice(0, 10);
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

function parsePeriods(periods: readonly WorkingPeriod[]): { startMin: number; endMin: number }[] {
  const out = periods.map((p) => {
    const s = HHMM.exec(p.start);
    const e = p.end === '24:00' ? ['', '24', '00'] : HHMM.exec(p.end);
    if (!s || !e) throw new Error(`working period ${p.start}–${p.end}: times are HH:MM`);
    return { startMin: Number(s[1]) * 60 + Number(s[2]), endMin: Number(e[1]) * 60 + Number(e[2]) };
  });
  out.sort((a, b) => a.startMin - b.startMin);
  for (let i = 0; i < out.length; i++) {
    const p = out[i]!;
    if (p.endMin <= p.startMin) throw new Error('a working period must end after it starts');
    if (i > 0 && p.startMin < out[i - 1]!.endMin) throw new Error('working periods must not overlap');
  }
  if (!out.length) throw new Error('at least one working period is needed');
  return out;
}
