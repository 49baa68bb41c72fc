import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/src/config.ts';
import { StartupError } from '../../server/src/startup-error.ts';
import { tempDataDir } from '../helpers/hub.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const dir = tempDataDir('config-onvif');
const write = (name: string, doc: unknown) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(doc, null, 2));
  return file;
};
const camera = { id: 'cam1', host: '127.0.0.1', port: 8000, username: 'admin', passwordEnv: 'CAM_PW' };

describe('the config file is checked once, onvif: included, with the environment config.ts was given', () => {
  it('camera lists come parsed, passwordEnv resolved from the env handed to loadConfig', () => {
    const file = write('ok.json', { onvif: { communityId: 'c1', pollIntervalS: 2, cameras: [camera] } });
    const config = loadConfig({ HUB_CONFIG: file, CAM_PW: 'secret' });
    expect(config.file.cameraLists).toEqual([{ communityId: 'c1', pollIntervalMs: 2000, cameras: [expect.objectContaining({ id: 'cam1', password: 'secret' })] }]);
    expect(loadConfig({}).file.cameraLists).toEqual([]);
  });

  it.each([
    ['an unknown key in a list', { onvif: [{ communityId: 'c1', cameras: [], typo: 1 }] }, /\/onvif/],
    ['a camera list without a community', { onvif: [{ cameras: [{ id: 'cam1', host: 'h' }] }] }, /onvif\[0\]: communityId is required/],
    ['a camera without an address', { onvif: [{ communityId: 'c1', cameras: [{ id: 'cam1' }] }] }, /onvif\[0\]: cameras\[0\] \(cam1\): needs "xaddr" or "host"/],
    ['a password variable that is not set', { onvif: [{ communityId: 'c1', cameras: [camera] }] }, /CAM_PW is not set/],
  ])('%s is a StartupError naming the file', (_what, doc, reason) => {
    const file = write(`bad-${Math.random().toString(36).slice(2)}.json`, doc);
    let err: unknown;
    try {
      loadConfig({ HUB_CONFIG: file });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StartupError);
    expect((err as StartupError).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect((err as StartupError).message).toMatch(reason);
  });

  it('npm start with a bad onvif section: one line, exit 2', async () => {
    const file = write('bad-start.json', { onvif: [{ communityId: 'c1', cameras: [{ id: 'cam1' }] }] });
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'server/src/main.ts')], {
        cwd: repoRoot,
        env: { ...process.env, LOG_LEVEL: 'info', PORT: '0', MQTT_PORT: '0', HOST: '127.0.0.1', DATA_DIR: tempDataDir('config-onvif-run'), HUB_CONFIG: file },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.stderr.on('data', (d: Buffer) => (text += d.toString()));
      child.once('exit', (c) => resolve({ code: c, out: text }));
    });
    const lines = out.trim().split('\n');
    expect(lines, out).toHaveLength(1);
    expect(lines[0]).toMatch(/^hub: cannot start: .*bad-start\.json: onvif\[0\]: cameras\[0\] \(cam1\): needs "xaddr" or "host"$/);
    expect(code).toBe(2);
  }, 60_000);
});
