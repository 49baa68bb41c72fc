/**
 * 一案一码: community code, the day in China time, and that community's sequence number of the
 * day, e.g. HX01-20261203-0007. The sequence comes from the repository (one counter a community a day).
 */
export function caseCode(communityCode: string, day: string, seq: number): string {
  return `${communityCode}-${day}-${String(seq).padStart(4, '0')}`;
}

/** A community's code when the config file gives none: its id, upper case, letters and digits only. */
export function defaultCommunityCode(communityId: string): string {
  const code = communityId.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 12);
  return code || 'C';
}

/** The calendar day (YYYYMMDD) of `at` at a fixed UTC offset (China: +480 min, no daylight saving). */
export function dayStamp(at: number, utcOffsetMin: number): string {
  const d = new Date(at + utcOffsetMin * 60_000);
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** "2026-02-21 17:30": `at` as the calendar's local time (a deadline in messages to people and robots). */
export function localMinute(at: number, utcOffsetMin: number): string {
  return new Date(at + utcOffsetMin * 60_000).toISOString().slice(0, 16).replace('T', ' ');
}

const CODE = /^([A-Z0-9]{1,12})-(\d{8})-(\d{4,})$/;

export function parseCaseCode(code: string): { community: string; day: string; seq: number } | undefined {
  const m = CODE.exec(code);
  return m ? { community: m[1]!, day: m[2]!, seq: Number(m[3]) } : undefined;
}
