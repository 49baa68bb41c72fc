import { describe, expect, it } from 'vitest';
import { caseCode, dayStamp, defaultCommunityCode, parseCaseCode } from '../../server/src/cases/code.ts';

describe('case codes (一案一码)', () => {
  it('joins community code, day and a four-digit sequence', () => {
    expect(caseCode('HX01', '20261203', 7)).toBe('HX01-20261203-0007');
    expect(caseCode('HX01', '20261203', 12345)).toBe('HX01-20261203-12345');
    expect(parseCaseCode('HX01-20261203-0007')).toEqual({ community: 'HX01', day: '20261203', seq: 7 });
    expect(parseCaseCode('hx-1')).toBeUndefined();
  });

  it('counts the day in China time, not UTC', () => {
    // 2026-12-02 16:30 UTC is already 00:30 on the 3rd in Beijing.
    expect(dayStamp(Date.UTC(2026, 11, 2, 16, 30), 480)).toBe('20261203');
    expect(dayStamp(Date.UTC(2026, 11, 2, 15, 59), 480)).toBe('20261202');
    expect(dayStamp(Date.UTC(2026, 11, 2, 16, 30), 0)).toBe('20261202');
  });

  it('makes a code from a community id when the config gives none', () => {
    expect(defaultCommunityCode('hx-01')).toBe('HX01');
    expect(defaultCommunityCode('---')).toBe('C');
  });
});
