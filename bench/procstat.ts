import fs from 'node:fs';

const TICKS_PER_S = 100;

export interface ProcSample {
  cpuS: number;
  rssMiB: number;
  at: number;
}

/** CPU seconds used so far and resident memory of one process, from /proc. */
export function sample(pid: number): ProcSample | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuS = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
    const rss = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpuS, rssMiB: rss ? Number(rss[1]) / 1024 : 0, at: performance.now() };
  } catch {
    return undefined;
  }
}

/** Percent of one core used between two samples. */
export function cpuPct(a: ProcSample | undefined, b: ProcSample | undefined): number | null {
  if (!a || !b || b.at <= a.at) return null;
  return Math.round(((b.cpuS - a.cpuS) / ((b.at - a.at) / 1000)) * 1000) / 10;
}
