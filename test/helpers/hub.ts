import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type HubConfig } from '../../server/src/config.ts';
import { Hub } from '../../server/src/hub.ts';
import { createLogger } from '../../server/src/log.ts';
import { freePort, waitFor } from './ports.ts';
import { TEST_BOOTSTRAP_ADMIN } from './auth.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

export function tempDataDir(name = 'hub'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `csh-${name}-`));
}

/**
 * A hub in this process on free ports (embedded broker unless mqttUrl is given), with the
 * test admin (helpers/auth.ts TEST_ADMIN) created through HUB_BOOTSTRAP_ADMIN.
 */
export async function startHub(overrides: Partial<HubConfig> = {}): Promise<Hub> {
  const config = loadConfig(
    {},
    { port: 0, mqttPort: 0, dataDir: tempDataDir(), bootstrapAdmin: TEST_BOOTSTRAP_ADMIN, logLevel: (process.env.TEST_LOG_LEVEL as HubConfig['logLevel']) ?? 'silent', ...overrides },
  );
  const hub = new Hub(config, createLogger(config.logLevel));
  await hub.start();
  return hub;
}

export interface HubProcess {
  httpUrl: string;
  mqttUrl: string;
  dataDir: string;
  child: ChildProcess;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The hub as its own process (`npm start`'s entry), for crash and restart tests. */
/**
 * `bundled` runs dist/server/main.js, as `npm start` does (benchmarks); otherwise the TypeScript
 * sources. `nodeArgs` go before the entry (e.g. --cpu-prof).
 */
export async function startHubProcess(env: Record<string, string>, { bundled = false, nodeArgs = [] as string[] } = {}): Promise<HubProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const mqttPort = env.MQTT_PORT ? Number(env.MQTT_PORT) : await freePort();
  const dataDir = env.DATA_DIR ?? tempDataDir();
  const entry = bundled ? [path.join(repoRoot, 'dist/server/main.js')] : ['--import', 'tsx', path.join(repoRoot, 'server/src/main.ts')];
  const child = spawn(process.execPath, [...nodeArgs, ...entry], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'info', HUB_BOOTSTRAP_ADMIN: TEST_BOOTSTRAP_ADMIN, ...env, PORT: String(port), MQTT_PORT: String(mqttPort), DATA_DIR: dataDir, HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const httpUrl = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`hub exited: ${out.slice(-2000)}`);
      const res = await fetch(`${httpUrl}/healthz`).catch(() => undefined);
      return res && (res.status === 200 || res.status === 503) ? ((await res.json()) as { status: string }).status !== 'starting' : false;
    },
    { timeoutMs: 60_000, what: 'hub process to start' },
  );
  return {
    httpUrl,
    mqttUrl: env.MQTT_URL ?? `mqtt://127.0.0.1:${mqttPort}`,
    dataDir,
    child,
    output: () => out,
    kill: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
