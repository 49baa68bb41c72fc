import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_BOOTSTRAP_ADMIN } from '../helpers/auth.ts';
import { tempDataDir } from '../helpers/hub.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/** Runs the hub's entry as `npm start` would (TypeScript sources) until it exits. */
function runHub(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'server/src/main.ts')], {
      cwd: repoRoot,
      env: { ...process.env, LOG_LEVEL: 'info', HUB_BOOTSTRAP_ADMIN: TEST_BOOTSTRAP_ADMIN, PORT: '0', MQTT_PORT: '0', HOST: '127.0.0.1', DATA_DIR: tempDataDir('startup'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the hub did not exit; output: ${out.slice(-2000)}`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

async function expectOneLine(env: Record<string, string>, ...mustName: (string | RegExp)[]): Promise<string> {
  const { code, out } = await runHub(env);
  const lines = out.trim().split('\n');
  expect(lines, out).toHaveLength(1);
  const line = lines[0]!;
  expect(line).toMatch(/^hub: cannot start: /);
  expect(line).not.toMatch(/\n\s+at |Error:|node:internal/);
  for (const m of mustName) expect(line).toMatch(typeof m === 'string' ? new RegExp(m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : m);
  expect(code, out).toBe(2);
  return line;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csh-startup-'));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

/** tmpfs mounts need root (CI runs as root; elsewhere those cases are skipped). */
const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'csh-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const mounts: string[] = [];
function tmpfs(options: string): string {
  const at = fs.mkdtempSync(path.join(os.tmpdir(), 'csh-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at]);
  mounts.push(at);
  return at;
}
/** Fills a filesystem to the last byte. */
function fill(at: string): void {
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${path.join(at, 'filler')}`, 'bs=4k'], { stdio: 'ignore' });
  } catch {
    // dd exits non-zero once the disk is full, which is the point.
  }
}

describe('start-up errors: one line naming file, line and cause, then exit 2', () => {
  afterAll(() => {
    for (const m of mounts) execFileSync('umount', ['-l', m]);
  });

  it('a missing config file', async () => {
    const file = path.join(dir, 'nope.yaml');
    await expectOneLine({ HUB_CONFIG: file }, file, 'no such file or directory');
  });

  it('malformed YAML: file, line and column, and what is wrong', async () => {
    const file = write('bad.yaml', 'communities:\n  - id: c1\n    cells: [\n  - bad: : :\n');
    await expectOneLine({ HUB_CONFIG: file }, `${file}:4:3`, 'not valid YAML');
  });

  it('malformed JSON names the file and the line', async () => {
    const file = write('bad.json', '{\n  "communities": [\n    {"id": "c1",}\n  ]\n}\n');
    await expectOneLine({ HUB_CONFIG: file }, `${file}:3:`, 'not valid JSON');
  });

  it('a config file that parses but breaks the schema: the offending path and its line', async () => {
    const yaml = write('invalid.yaml', 'communities:\n  - id: c1\n  - id: "bad id"\n');
    await expectOneLine({ HUB_CONFIG: yaml }, `${yaml}:3:`, '/communities/1/id');
    const json = write('invalid.json', JSON.stringify({ communities: [{ id: 'c1' }, { id: 'c2', cells: [{ id: 'bad id' }] }] }, null, 2));
    await expectOneLine({ HUB_CONFIG: json }, new RegExp(`${json.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:`), '/communities/1/cells/0/id');
  });

  it('a DATA_DIR that cannot exist (a file is in its path)', async () => {
    const file = write('a-file', 'x');
    await expectOneLine({ DATA_DIR: path.join(file, 'data') }, path.join(file, 'data'), 'not a directory');
  });

  it('a bad environment variable', async () => {
    await expectOneLine({ PORT: 'eighty' }, 'PORT', 'integer');
  });

  it.skipIf(!canMount)('a read-only DATA_DIR, and a missing one under a read-only parent', async () => {
    const ro = tmpfs('ro,size=64k');
    await expectOneLine({ DATA_DIR: ro }, ro, 'read-only file system');
    await expectOneLine({ DATA_DIR: path.join(ro, 'data') }, path.join(ro, 'data'), 'read-only file system');
  });

  it.skipIf(!canMount)('a full disk at start-up: the state database cannot be created', async () => {
    const full = tmpfs('size=64k');
    fill(full);
    await expectOneLine({ DATA_DIR: full }, full, 'no space left on device');
  });

  it('something in the way inside DATA_DIR (the spool is a file)', async () => {
    const data = tempDataDir('startup-spool');
    fs.writeFileSync(path.join(data, 'spool'), 'x');
    await expectOneLine({ DATA_DIR: data }, path.join(data, 'spool'), 'in the way');
  });
});
