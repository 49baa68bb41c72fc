/**
 * Runs simulated ONVIF cameras until interrupted.
 *
 *   node --import tsx simulators/onvif-camera/cli.ts --count 3 --port 18080 --write-config cameras.yaml
 *
 * Then type commands on stdin to act on camera N (1-based):
 *   tamper N | motion N | videoloss N | restore N | offline N | online N | drift N SECONDS | status
 */
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { startCameraFleet } from './fleet.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    user: { type: 'string', default: 'admin' },
    password: { type: 'string', default: 'admin123' },
    discovery: { type: 'string', default: 'unicast' },
    'discovery-port': { type: 'string', default: '0' },
    'write-config': { type: 'string' },
    community: { type: 'string', default: 'c1' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(`usage: cli.ts [--count N] [--host 127.0.0.1] [--port FIRST_PORT] [--user U] [--password P]
       [--discovery unicast|multicast|off] [--discovery-port FIRST_UDP_PORT] [--write-config cameras.yaml]
multicast binds 0.0.0.0:3702 and is meant for a network namespace with only loopback.`);
  process.exit(0);
}

const mode = values.discovery;
if (mode !== 'unicast' && mode !== 'multicast' && mode !== 'off') {
  console.error(`--discovery must be unicast, multicast or off (got ${mode})`);
  process.exit(2);
}
if (!/^127\./.test(values.host) && values.host !== '::1') {
  console.error(`refusing to listen on ${values.host}: the simulator is for loopback or a private namespace only`);
  process.exit(2);
}

const fleet = await startCameraFleet({
  count: Number(values.count),
  host: values.host,
  basePort: Number(values.port),
  username: values.user,
  password: values.password,
  discovery: mode === 'off' ? false : { mode },
  discoveryBasePort: Number(values['discovery-port']),
});

fleet.cameras.forEach((c, i) => {
  console.log(`camera ${i + 1}: ${c.xaddr}  discovery=${c.discoveryAddress ?? (mode === 'multicast' ? '239.255.255.250:3702' : 'off')}  ${c.urn}`);
});

if (values['write-config']) {
  const cameras = fleet.cameras.map((c, i) => ({
    id: `cam-${i + 1}`,
    xaddr: c.xaddr,
    username: values.user,
    password: values.password,
  }));
  writeFileSync(values['write-config'], stringify({ communityId: values.community, cameras }));
  console.log(`wrote ${values['write-config']}`);
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const [cmd, n, arg] = line.trim().split(/\s+/);
  if (cmd === 'status') {
    fleet.cameras.forEach((c, i) => console.log(`camera ${i + 1}: subscriptions=${c.subscriptionCount} stats=${JSON.stringify(c.stats)}`));
    return;
  }
  const cam = fleet.cameras[Number(n) - 1];
  if (!cmd) return;
  if (!cam) return void console.log(`no camera ${n ?? ''}`);
  const actions: Record<string, () => void> = {
    tamper: () => cam.raiseTamper(),
    motion: () => cam.raiseMotion(),
    videoloss: () => cam.videoLoss(),
    restore: () => cam.videoRestored(),
    offline: () => cam.setReachable(false),
    online: () => cam.setReachable(true),
    drift: () => cam.setClockDriftS(Number(arg ?? 0)),
  };
  const action = actions[cmd];
  if (!action) return void console.log(`unknown command ${cmd}`);
  action();
  console.log(`camera ${n}: ${cmd}${arg ? ' ' + arg : ''}`);
});

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  rl.close();
  await fleet.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
