import fs from 'node:fs';
import path from 'node:path';

/**
 * How CI splits the test files. Every file runs once: the date-sensitive directories with the
 * clock 400 days ahead (`HUB_TEST_SUITE=clock-ahead`, under faketime), the rest at today's date
 * (`HUB_TEST_SUITE=rest`); unset runs everything. Inside a run, files that start no service
 * (no hub, broker, database, browser, child process or socket) run two at a time first; files
 * that do run one at a time after them, so they never starve each other on a 2-core machine.
 */
export const CLOCK_AHEAD = ['test/server/', 'test/devices/', 'test/dashboard/logic.test.ts', 'test/simulators/'];

const STARTS_SERVICES =
  /helpers\/(hub|services|real-services|secure-mosquitto|traffic|state-db)|configured-hub|browser\.ts|startHub|child_process|chromium|aedes|createServer|\.listen\(|dgram|node:net|mqtt|postgres/;

export type Suite = 'clock-ahead' | 'rest' | undefined;

export function testFiles(root: string, suite: Suite): { quick: string[]; services: string[] } {
  const all = walk(path.join(root, 'test')).map((f) => path.relative(root, f).split(path.sep).join('/'));
  const inClockAhead = (f: string) => CLOCK_AHEAD.some((p) => (p.endsWith('/') ? f.startsWith(p) : f === p));
  const selected = all.filter((f) => (suite === 'clock-ahead' ? inClockAhead(f) : suite === 'rest' ? !inClockAhead(f) : true));
  const quick: string[] = [];
  const services: string[] = [];
  const seen = new Map<string, boolean>();
  for (const f of selected) (startsServices(path.join(root, f), seen) ? services : quick).push(f);
  return { quick, services };
}

/** Whether a test file, or a test module it imports (relative imports, followed), starts a service. */
function startsServices(file: string, seen: Map<string, boolean>): boolean {
  const known = seen.get(file);
  if (known !== undefined) return known;
  seen.set(file, false);
  const text = fs.readFileSync(file, 'utf8');
  let starts = STARTS_SERVICES.test(text);
  for (const m of text.matchAll(/from '(\.{1,2}\/[^']+\.ts)'/g)) {
    if (starts) break;
    const target = path.resolve(path.dirname(file), m[1]!);
    if (target.includes(`${path.sep}test${path.sep}`) && fs.existsSync(target)) starts = startsServices(target, seen);
  }
  seen.set(file, starts);
  return starts;
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : walk(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}
