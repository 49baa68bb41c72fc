import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { buildDistrict } from './build.ts';
import { runScenario, scenarioPath, writeHubConfig, type Logins } from './index.ts';
import { startGbFleet } from '../gb28181/fleet.ts';
import { platformPlan, startPlatformFleet } from './platform-fleet.ts';

const HELP = `Community simulator: a whole community (or a district of them) with believable devices and scripted incidents.

  node --import tsx simulators/community/cli.ts [options]

  --mqtt URL              broker (default $MQTT_URL or mqtt://127.0.0.1:1883)
  --communities K         communities in the district (default 1; 20 ≈ 58,000 devices)
  --households N          households per community (default 2500)
  --cells N               grid cells per community (default 8)
  --buildings N           buildings per community (default 30, fewer for small communities)
  --seed N                (default 1) same seed, same community, same scenario
  --time-scale X          scenario seconds per real second (default 1; 60 = an hour in a minute)
  --scenario NAME|FILE    play a scenario (e.g. demo = simulators/community/scenarios/demo.yaml)
  --write-config FILE     write the hub's config file (HUB_CONFIG) for this district
  --config-only           write the config and exit without running devices
  --expected FILE         write the scenario's ground truth (expected alerts) as JSON
  --duration S            stop after S real seconds (default: run until Ctrl-C)
  --exit-after-scenario   stop once the scenario's last step has run
  --connections N         shared MQTT connections per community (default 2)
  --qos 0|1               QoS of periodic telemetry (default 1; events and status always 1)
  --no-routine            only status and scripted messages, no periodic telemetry
  --username / --password MQTT login for every connection (or $MQTT_USERNAME / $MQTT_PASSWORD),
                          e.g. a gateway credential the hub issued for these communities
  --credentials FILE      JSON { "<communityId>" or "*": { "username", "password" } }
  --quiet                 no progress lines
  --gb28181 HOST:PORT     also run GB/T 28181 NVRs against the hub's SIP port (docs/gb28181.md)
  --gb28181-password P    their password (the gb28181 section's realm password; or $GB28181_PASSWORD)
  --gb28181-nvrs N        NVRs (default 1), --gb28181-channels N channels each (default 16),
  --gb28181-alarm-every S an alarm every S seconds (default 60), --gb28181-id ID the hub's SIP id
  A mixed community (docs/platforms.md): devices that reach the hub over HTTP, not MQTT
  --ctwing-smoke N        NB-IoT smoke detectors pushed through CTWing (default 0)
  --onenet-gas N          NB-IoT gas detectors pushed through OneNET, secure mode (default 0)
  --isapi-gates N         Hikvision access controllers whose alertStream the hub reads (default 0)
  --isapi-port P          their first port on 127.0.0.1 (default 18080)
  --hub-url URL           where the platforms push (default http://127.0.0.1:8080)
  --platform-every S      each reports every S seconds (default 60)
  (the platforms' devices and secrets are in the --write-config file: write it with the same options)
`;

const { values } = parseArgs({
  options: {
    mqtt: { type: 'string' },
    communities: { type: 'string', default: '1' },
    households: { type: 'string' },
    cells: { type: 'string' },
    buildings: { type: 'string' },
    seed: { type: 'string', default: '1' },
    'time-scale': { type: 'string', default: '1' },
    scenario: { type: 'string' },
    'write-config': { type: 'string' },
    'config-only': { type: 'boolean', default: false },
    expected: { type: 'string' },
    duration: { type: 'string' },
    'exit-after-scenario': { type: 'boolean', default: false },
    connections: { type: 'string', default: '2' },
    qos: { type: 'string', default: '1' },
    'no-routine': { type: 'boolean', default: false },
    username: { type: 'string' },
    password: { type: 'string' },
    credentials: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    gb28181: { type: 'string' },
    'gb28181-password': { type: 'string' },
    'gb28181-nvrs': { type: 'string', default: '1' },
    'gb28181-channels': { type: 'string', default: '16' },
    'gb28181-alarm-every': { type: 'string', default: '60' },
    'gb28181-id': { type: 'string', default: '34020000002000000001' },
    'ctwing-smoke': { type: 'string', default: '0' },
    'onenet-gas': { type: 'string', default: '0' },
    'isapi-gates': { type: 'string', default: '0' },
    'isapi-port': { type: 'string', default: '18080' },
    'hub-url': { type: 'string', default: 'http://127.0.0.1:8080' },
    'platform-every': { type: 'string', default: '60' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

function num(name: string, v: string | undefined, { min = 0, integer = true } = {}): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    process.stderr.write(`--${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got "${v}"\n`);
    process.exit(2);
  }
  return n;
}

/** --credentials FILE ({ "<communityId>" | "*": { username, password } }), else --username/--password for all. */
function logins(): Logins {
  if (values.credentials) return JSON.parse(fs.readFileSync(values.credentials, 'utf8')) as Logins;
  const username = values.username ?? process.env.MQTT_USERNAME;
  return username ? { '*': { username, password: values.password ?? process.env.MQTT_PASSWORD ?? '' } } : {};
}

const log = (line: string) => values.quiet || process.stderr.write(`${line}\n`);
const seed = num('seed', values.seed)!;
const qos = num('qos', values.qos);
if (qos !== 0 && qos !== 1) {
  process.stderr.write('--qos must be 0 or 1\n');
  process.exit(2);
}
const started = performance.now();
const district = buildDistrict({
  seed,
  communities: num('communities', values.communities, { min: 1 })!,
  ...(values.households ? { households: num('households', values.households, { min: 1 })! } : {}),
  ...(values.cells ? { cells: num('cells', values.cells, { min: 1 })! } : {}),
  ...(values.buildings ? { buildings: num('buildings', values.buildings, { min: 1 })! } : {}),
});
const households = district.communities.reduce((a, c) => a + c.households, 0);
log(`built ${district.communities.length} communities: ${households} households, ${district.devices.length} devices, ${district.workers.length} workers (${Math.round(performance.now() - started)} ms)`);
const platformSpec = {
  ctwingSmoke: num('ctwing-smoke', values['ctwing-smoke'])!,
  onenetGas: num('onenet-gas', values['onenet-gas'])!,
  isapiGates: num('isapi-gates', values['isapi-gates'])!,
  isapiPortBase: num('isapi-port', values['isapi-port'], { min: 1 })!,
};
// The secrets follow from the seed, so a config written earlier matches a later run.
const platforms = platformSpec.ctwingSmoke + platformSpec.onenetGas + platformSpec.isapiGates > 0 ? platformPlan(district, platformSpec, { onenetAesKey: Buffer.alloc(32, seed % 256).toString('base64').slice(0, 43) }) : undefined;
if (values['write-config']) log(`wrote hub config ${writeHubConfig(values['write-config'], district, platforms)}`);
if (values['config-only']) process.exit(0);

try {
  const sim = await runScenario({
    mqttUrl: values.mqtt ?? process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883',
    district,
    seed,
    timeScale: num('time-scale', values['time-scale'], { min: 0.001, integer: false })!,
    ...(values.scenario ? { scenario: scenarioPath(values.scenario) } : {}),
    connectionsPerCommunity: num('connections', values.connections, { min: 1 })!,
    telemetryQos: qos,
    routine: !values['no-routine'],
    logins: logins(),
    onProgress: log,
    onStep: (step) => log(`  ▶ t=${step.atS}s ${step.title} — ${step.deviceId}`),
  });
  if (values.expected) {
    fs.writeFileSync(values.expected, JSON.stringify({ scenario: sim.plan?.name ?? null, seed, expected: sim.expected }, null, 2) + '\n');
    log(`wrote ground truth (${sim.expected.length} expected alerts) to ${values.expected}`);
  }
  const gbAt = values.gb28181 ? /^(.+):(\d{1,5})$/.exec(values.gb28181) : undefined;
  if (values.gb28181 && !gbAt) throw new Error('--gb28181 is HOST:PORT');
  const gb = gbAt
    ? await startGbFleet({
        platform: { host: gbAt[1]!, port: Number(gbAt[2]), sipId: values['gb28181-id']!, domain: values['gb28181-id']!.slice(0, 10) },
        password: values['gb28181-password'] ?? process.env.GB28181_PASSWORD ?? '',
        devices: num('gb28181-nvrs', values['gb28181-nvrs'], { min: 1 })!,
        channels: num('gb28181-channels', values['gb28181-channels'], { min: 1 })!,
        alarmEveryS: num('gb28181-alarm-every', values['gb28181-alarm-every'], { min: 1 })!,
        log,
      })
    : undefined;
  if (gb) log(`GB/T 28181: ${gb.registered} of ${gb.devices.length} NVRs registered at ${values.gb28181}`);
  const viaPlatforms = platforms ? await startPlatformFleet(platforms, { hubUrl: values['hub-url']!, everyS: num('platform-every', values['platform-every'], { min: 1 })!, log }) : undefined;
  log(`running ${district.devices.length} devices${sim.plan ? `, scenario "${sim.plan.name}" (${sim.plan.steps.length} steps)` : ''}; Ctrl-C stops`);
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(progress);
    log(`stopping (${why})`);
    await gb?.stop();
    await viaPlatforms?.stop();
    await sim.stop();
    const s = sim.runtime.summary();
    process.stdout.write(JSON.stringify({ devices: s.devices, sent: s.sent, acked: s.acked, errors: s.errors, skipped: s.skipped }) + '\n');
    process.exit(s.errors > 0 ? 1 : 0);
  };
  let last = sim.runtime.summary().sent;
  const progress = setInterval(() => {
    const s = sim.runtime.summary();
    log(`  sent ${s.sent} (${Math.round((s.sent - last) / 10)} msg/s)  acked ${s.acked}  skipped ${s.skipped}  errors ${s.errors}`);
    last = s.sent;
  }, 10_000);
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  const duration = num('duration', values.duration);
  if (duration !== undefined) setTimeout(() => void stop(`${duration} s elapsed`), duration * 1000);
  if (values['exit-after-scenario']) void sim.done.then(() => stop('scenario complete'));
  else void sim.done.then(() => sim.plan && log(`scenario "${sim.plan.name}" complete; devices keep reporting`));
} catch (err) {
  process.stderr.write(`community simulator failed: ${(err as Error).message}\n`);
  process.exit(1);
}
