import { parseArgs } from 'node:util';
import { startGbFleet, type Misbehaviour } from './fleet.ts';

const HELP = `Simulated GB/T 28181 cameras and NVRs (2016 edition) for a platform such as the hub.

  node --import tsx simulators/gb28181/cli.ts --platform HOST:PORT [options]

  --platform HOST:PORT    the platform's SIP address (UDP or TCP)
  --platform-id ID        its 20-digit SIP id (default 34020000002000000001)
  --domain D              its SIP domain (default 3402000000)
  --password P            the device password (or $GB28181_PASSWORD)
  --devices N             devices (default 1)
  --channels N            channels per device (default 4)
  --transport udp|tcp     (default udp)
  --keepalive S           keepalive interval (default 60)
  --alarm-every S         raise an alarm every S seconds, rotating motion, line crossing, video loss, tamper
  --misbehave WHAT        the first device: wrong-password | missed-keepalives | malformed-xml | utf8
  --duration S            stop after S seconds (default: until Ctrl-C)
`;

const { values } = parseArgs({
  options: {
    platform: { type: 'string' },
    'platform-id': { type: 'string', default: '34020000002000000001' },
    domain: { type: 'string', default: '3402000000' },
    password: { type: 'string' },
    devices: { type: 'string', default: '1' },
    channels: { type: 'string', default: '4' },
    transport: { type: 'string', default: 'udp' },
    keepalive: { type: 'string', default: '60' },
    'alarm-every': { type: 'string' },
    misbehave: { type: 'string' },
    duration: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

const fail = (msg: string): never => {
  process.stderr.write(`${msg}\n`);
  process.exit(2);
};
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const m = /^(.+):(\d{1,5})$/.exec(values.platform ?? '') ?? fail('--platform HOST:PORT is required');
const password = values.password ?? process.env.GB28181_PASSWORD ?? fail('--password is required');
const int = (name: string, v: string | undefined, min: number) => {
  const n = Number(v);
  return Number.isInteger(n) && n >= min ? n : fail(`--${name} must be an integer ≥ ${min}`);
};
if (values.transport !== 'udp' && values.transport !== 'tcp') fail('--transport is udp or tcp');
const misbehave = values.misbehave as Misbehaviour | undefined;
if (misbehave && !['wrong-password', 'missed-keepalives', 'malformed-xml', 'utf8'].includes(misbehave)) fail(`unknown --misbehave ${misbehave}`);

const fleet = await startGbFleet({
  platform: { host: m[1]!, port: Number(m[2]), sipId: values['platform-id']!, domain: values.domain! },
  password,
  devices: int('devices', values.devices, 1),
  channels: int('channels', values.channels, 1),
  transport: values.transport as 'udp' | 'tcp',
  keepaliveIntervalS: int('keepalive', values.keepalive, 1),
  ...(values['alarm-every'] ? { alarmEveryS: int('alarm-every', values['alarm-every'], 1) } : {}),
  ...(misbehave ? { misbehave } : {}),
  log: (line) => process.stderr.write(`${line}\n`),
});
const stop = async (why: string) => {
  process.stderr.write(`stopping (${why})\n`);
  await fleet.stop();
  process.stdout.write(JSON.stringify({ devices: fleet.devices.length, registered: fleet.registered, alarms: fleet.alarms }) + '\n');
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
if (values.duration) setTimeout(() => void stop(`${values.duration} s elapsed`), int('duration', values.duration, 1) * 1000);
