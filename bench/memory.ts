import fs from 'node:fs';
import path from 'node:path';
import { KINDS } from '#devices';
import { spawn } from 'node:child_process';
import { tempDataDir } from '../test/helpers/hub.ts';
import { freePort, waitFor } from '../test/helpers/ports.ts';
import { sample } from './procstat.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');

/** The hub as `npm start` runs it: the bundled JavaScript in dist/server. */
async function startBuiltHub(env: Record<string, string>) {
  const port = await freePort();
  const mqttPort = await freePort();
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist/server/main.js')], {
    cwd: repoRoot,
    env: { ...process.env, ...env, PORT: String(port), MQTT_PORT: String(mqttPort), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error('hub exited');
    const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
    return res !== undefined && res.status !== 404;
  }, { timeoutMs: 120_000, what: 'built hub' });
  return { pid: child.pid!, stop: () => new Promise<void>((r) => (child.once('exit', () => r()), child.kill('SIGTERM'))) };
}

export interface MemoryResult {
  devices: number;
  rssMiB: number;
  startS: number;
}

/** Hub RSS with N registered devices (provisioned from a JSON config file), idle after start. */
export async function hubMemory(devices: number, log: (l: string) => void): Promise<MemoryResult> {
  const dir = tempDataDir('mem');
  const file = path.join(dir, 'config.json');
  const list = Array.from({ length: devices }, (_, i) => ({
    id: `m-${i}`,
    kind: KINDS[i % 25 === 0 ? 1 + (i % 3) : 2]!,
    communityId: `c${(i % 20) + 1}`,
    gridCellId: `c${(i % 20) + 1}-g${(i % 8) + 1}`,
    buildingId: `c${(i % 20) + 1}-b${(i % 30) + 1}`,
    floor: (i % 18) + 1,
  }));
  fs.writeFileSync(file, JSON.stringify({ devices: list }));
  const started = performance.now();
  const hub = await startBuiltHub({ HUB_CONFIG: file, DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'warn' });
  const startS = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 5000));
  const rss = sample(hub.pid)?.rssMiB ?? 0;
  await hub.stop();
  const result = { devices, rssMiB: Math.round(rss), startS: Math.round(startS * 10) / 10 };
  log(`  hub with ${devices} registered devices: RSS ${result.rssMiB} MiB, ready in ${result.startS} s`);
  return result;
}
