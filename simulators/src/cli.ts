import { parseArgs } from 'node:util';
import { buildFleet } from './fleet.ts';
import { runSimulation } from './run.ts';
import { readCredentialsFile } from '../../server/src/auth/credentials-file.ts';

const HELP = `Device simulator: publishes telemetry and events for a fleet over the contract's MQTT topics.

  npm run simulate -- [options]

  --mqtt URL          broker (default $MQTT_URL or mqtt://127.0.0.1:1883)
  --devices N         devices in the fleet (default 100)
  --communities N     communities they are spread over (default 1)
  --rate N            messages per second (default 100)
  --qos 0|1           (default 1)
  --duration S        seconds to run (default 60)
  --count N           stop after exactly N messages instead
  --connections N     MQTT connections to share the fleet (default 4)
  --seed N            (default 1)
  --prefix P          device id prefix (default sim); distinct prefixes keep parallel simulators apart
  --username / --password   MQTT credentials (or $MQTT_USERNAME / $MQTT_PASSWORD)
  --credentials FILE  credentials file written by "npm run admin -- create-gateway <id> --out FILE"
                      (or $SIM_CREDENTIALS); its gateway login is used for every connection
  --skip-status       do not publish each device's retained "online" status first
  --quiet             no progress line (the summary JSON still goes to stdout)
`;

const { values } = parseArgs({
  options: {
    mqtt: { type: 'string' },
    devices: { type: 'string', default: '100' },
    communities: { type: 'string', default: '1' },
    rate: { type: 'string', default: '100' },
    qos: { type: 'string', default: '1' },
    duration: { type: 'string', default: '60' },
    count: { type: 'string' },
    connections: { type: 'string', default: '4' },
    seed: { type: 'string', default: '1' },
    prefix: { type: 'string', default: 'sim' },
    username: { type: 'string' },
    password: { type: 'string' },
    credentials: { type: 'string' },
    'skip-status': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const num = (name: string, v: string | undefined): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`--${name} must be a non-negative number, got "${v}"\n`);
    process.exit(2);
  }
  return n;
};

const qos = num('qos', values.qos);
if (qos !== 0 && qos !== 1) {
  process.stderr.write('--qos must be 0 or 1\n');
  process.exit(2);
}
const mqttUrl = values.mqtt ?? process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const credentialsFile = values.credentials ?? process.env.SIM_CREDENTIALS;
const gateway = credentialsFile ? readCredentialsFile(credentialsFile).gateway : undefined;
if (credentialsFile && !gateway) {
  process.stderr.write(`${credentialsFile} has no gateway login; create one with: npm run admin -- create-gateway sim --out ${credentialsFile}\n`);
  process.exit(2);
}
const username = values.username ?? gateway?.username ?? process.env.MQTT_USERNAME;
const password = values.password ?? gateway?.password ?? process.env.MQTT_PASSWORD;
process.stderr.write(`simulating ${values.devices} devices at ${values.rate} msg/s, QoS ${qos}, against ${mqttUrl}\n`);
try {
  const summary = await runSimulation({
    mqttUrl,
    devices: buildFleet({
      devices: num('devices', values.devices),
      communities: num('communities', values.communities),
      seed: num('seed', values.seed),
      idPrefix: values.prefix!,
    }),
    rate: num('rate', values.rate),
    qos,
    durationS: num('duration', values.duration),
    ...(values.count ? { count: num('count', values.count) } : {}),
    connections: num('connections', values.connections),
    seed: num('seed', values.seed),
    announce: !values['skip-status'],
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    onProgress: values.quiet ? undefined : (p) =>
      process.stderr.write(`\r  sent ${p.sent}/${p.target}  acked ${p.acked}  errors ${p.errors}  ${Math.round(p.sent / p.elapsedS)} msg/s   `),
  });
  process.stderr.write('\n');
  const { sent, acked, errors, ratePerS, elapsedS, devices } = summary;
  process.stdout.write(JSON.stringify({ sent, acked, errors, devices, ratePerS: Math.round(ratePerS), elapsedS: Math.round(elapsedS * 10) / 10 }) + '\n');
  process.exit(errors > 0 || acked < sent ? 1 : 0);
} catch (err) {
  process.stderr.write(`\nsimulator failed: ${(err as Error).message}\n`);
  process.exit(1);
}
