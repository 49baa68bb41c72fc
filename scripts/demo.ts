// `npm run demo`: the hub (embedded broker and store), a simulated community and the demo
// scenario in one process, so a newcomer sees live devices and the first incident in seconds.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../server/src/config.ts';
import { Hub } from '../server/src/hub.ts';
import { createLogger } from '../server/src/log.ts';
import { playDemoCases } from './demo-cases.ts';
import { demoWorkerLogin, type WorkerLogin } from './demo-worker.ts';
import { buildDistrict, issueGatewayLogin, runScenario, writeHubConfig, type CommunitySim } from '../simulators/community/index.ts';

const env = process.env;
const root = path.resolve(import.meta.dirname, '..');
const dataDir = path.resolve(env.DATA_DIR ?? path.join(root, 'data', 'demo'));
const timeScale = number('DEMO_TIME_SCALE', 10);
const seed = number('DEMO_SEED', 1);
const communities = number('DEMO_COMMUNITIES', 1);
const scenario = env.DEMO_SCENARIO ?? 'demo';
// Marks a directory the demo made, so a fresh run may clear it; any other DATA_DIR is never wiped.
const MARKER = '.demo-data';
const say = (line: string) => process.stdout.write(`${line}\n`);

function number(name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`${name} must be a positive number, got "${raw}"`);
    process.exit(2);
  }
  return n;
}

function ensureDashboard(): void {
  try {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'ensure-dashboard.mjs')], { stdio: 'inherit', cwd: root });
  } catch {
    say('  (the dashboard could not be built; the API and MQTT still work)');
  }
}

/** A fresh hub state on every run (old alerts would confuse the story), unless DEMO_KEEP_DATA=1. */
function prepareDataDir(): void {
  const exists = fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0;
  if (exists && !fs.existsSync(path.join(dataDir, MARKER))) {
    say(`  ${dataDir} was not made by the demo: keeping its contents`);
    return;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  if (env.DEMO_KEEP_DATA !== '1') {
    for (const name of fs.readdirSync(dataDir)) {
      if (/^(hub|telemetry)\.db(-wal|-shm|-journal)?$/.test(name) || name === 'spool') fs.rmSync(path.join(dataDir, name), { recursive: true, force: true });
    }
  }
  fs.writeFileSync(path.join(dataDir, MARKER), 'made by npm run demo; its hub state is cleared on each run unless DEMO_KEEP_DATA=1\n');
}

/** The demo admin's password, made once per data dir and kept there (never a fixed default). */
function demoAdmin(): { username: string; password: string } {
  const file = path.join(dataDir, 'demo-logins.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as { username: string; password: string };
  const admin = { username: 'admin', password: crypto.randomBytes(9).toString('base64url') };
  fs.writeFileSync(file, JSON.stringify(admin, null, 2) + '\n', { mode: 0o600 });
  return admin;
}

// ── LOGINS ────────────────────────────────────────────────────────────────────────────────
// Without accounts (before the security issue, #5) /api/auth/me answers 404 and the demo says so.
// With them, the admin below exists through HUB_BOOTSTRAP_ADMIN. TODO(#5): create demo accounts
// for a grid worker and an operator here (e.g. from district.workers) and list them too.
async function printLogins(hub: Hub, admin: { username: string; password: string } | undefined, cellId?: string): Promise<WorkerLogin | undefined> {
  const res = await fetch(`${hub.httpUrl}/api/auth/me`).catch(() => undefined);
  if (!res || res.status === 404) {
    say('  logins      no login needed yet (accounts arrive with the security work)');
    return;
  }
  if (admin) say(`  login       ${admin.username} / ${admin.password}   (admin; kept in ${path.join(dataDir, 'demo-logins.json')})`);
  else say('  login       the admin from HUB_BOOTSTRAP_ADMIN');
  if (admin) say(`  admin pages ${hub.httpUrl}/admin`);
  const worker = admin ? await demoWorkerLogin(hub.httpUrl, admin, cellId, path.join(dataDir, 'demo-worker.json')).catch(() => undefined) : undefined;
  if (worker) say(`  worker      ${hub.httpUrl}/worker   ${worker.username} / ${worker.password}   (${worker.name}, grid worker of the first incident's cell; open on a phone, install it, allow notifications)`);
  return worker;
}
// ──────────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const t0 = performance.now();
  say('community safety hub · demo');
  ensureDashboard();
  prepareDataDir();

  say(`  building ${communities} simulated communit${communities === 1 ? 'y' : 'ies'} (seed ${seed}) ...`);
  const district = buildDistrict({ seed, communities });
  const configFile = writeHubConfig(path.join(dataDir, 'community.yaml'), district);
  const households = district.communities.reduce((a, c) => a + c.households, 0);
  say(`  wrote ${configFile}: ${households} households, ${district.devices.length} devices, ${district.workers.length} grid workers`);

  const admin = env.HUB_BOOTSTRAP_ADMIN ? undefined : demoAdmin();
  let config;
  try {
    config = loadConfig(
      { ...env, DATA_DIR: dataDir, HUB_CONFIG: configFile, LOG_LEVEL: env.LOG_LEVEL ?? 'warn' },
      admin ? { bootstrapAdmin: `${admin.username}:${admin.password}` } : {},
    );
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  if (config.mqttUrl) say(`  MQTT_URL is set: devices go to ${config.mqttUrl}`);
  say('  starting the hub (provisioning the devices) ...');
  const hub = new Hub(config, createLogger(config.logLevel));
  try {
    await hub.start();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    console.error(e.code === 'EADDRINUSE' ? `port in use: ${e.message}. Set PORT and MQTT_PORT to free ports, e.g. PORT=8081 MQTT_PORT=1884 npm run demo` : `hub failed to start: ${e.message}`);
    await hub.stop().catch(() => {});
    process.exit(1);
  }

  let sim: CommunitySim | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      say('  forced exit');
      process.exit(1);
    }
    stopping = true;
    say(`\n${signal}: stopping the simulator and the hub ...`);
    await sim?.stop().catch(() => {});
    await hub.stop().catch((err: Error) => console.error(`error while stopping the hub: ${err.message}`));
    say('stopped cleanly');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  say(`  starting ${district.devices.length} simulated devices at ${timeScale}x speed ...`);
  const clockStart = Date.now();
  // A broker that checks logins gets a gateway credential for the simulator (it publishes for every device).
  const logins = config.mqttUrl ? undefined : issueGatewayLogin(hub, 'demo-community-sim');
  sim = await runScenario({
    mqttUrl: hub.mqttUrl,
    ...(logins ? { logins } : {}),
    district,
    seed,
    timeScale,
    scenario,
    onProgress: (line) => say(`    ${line}`),
    onStep: (step) => {
      const at = new Date((sim?.plan?.clockStart ?? clockStart) + step.atS * 1000);
      const hhmm = at.toLocaleTimeString('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit' });
      const name = sim?.runtime.device(step.deviceId)?.name ?? step.deviceId;
      say(`  ▶ ${hhmm}  ${step.title}  —  ${name} [${step.deviceId}]`);
    },
  });
  const firstAlertS = Math.min(...sim.expected.map((e) => e.atS));
  say('');
  say(`ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  say(`  dashboard   ${hub.httpUrl}/        (grid worker's phone view: ${hub.httpUrl}/worker)`);
  say(`  MQTT        ${hub.mqttUrl}${config.mqttUrl ? '' : ' (embedded)'}`);
  const firstStep = sim.plan?.steps[0];
  const firstDevice = district.devices.find((d) => d.id === firstStep?.deviceId) ?? district.devices[0];
  const worker = await printLogins(hub, admin, firstDevice?.gridCellId ?? undefined);
  // Cases (事件): on the control room's 指标 tab, and on the worker's phone under 我的事件.
  const workerId = worker?.username ?? district.workers.find((w) => firstDevice?.gridCellId && w.cells?.includes(firstDevice.gridCellId))?.id ?? district.workers[0]?.id;
  if (firstDevice && workerId) playDemoCases(hub.cases, { communityId: firstDevice.communityId, cellId: firstDevice.gridCellId ?? null, workerId, say });
  say(`  scenario    "${sim.plan?.name}" ${sim.plan?.steps.length ?? 0} steps, ${sim.expected.length} expected alerts; ${Number.isFinite(firstAlertS) ? `first incident in ~${Math.round(firstAlertS / timeScale)} s` : 'no incidents'}`);
  say('  Ctrl-C stops everything');
  say('');
  void sim.done.then(() => !stopping && say('  scenario complete; the devices keep reporting (Ctrl-C to stop)'));
}

void main().catch((err: Error) => {
  console.error(`demo failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
