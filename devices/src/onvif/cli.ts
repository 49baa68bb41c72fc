/**
 * Runs the ONVIF bridge on its own (e.g. on a box near the cameras) and publishes to an MQTT broker.
 *
 *   MQTT_URL=mqtt://127.0.0.1:1883 node --import tsx devices/src/onvif/cli.ts --cameras cameras.yaml --community c1
 *
 * Flags override environment variables: --mqtt-url (MQTT_URL), --cameras (CAMERAS_FILE), --community
 * (COMMUNITY_ID), --poll-interval seconds (POLL_INTERVAL_S), --discovery (DISCOVERY=1), --log-level (LOG_LEVEL).
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { OnvifBridge } from './bridge.ts';
import { CameraConfigError, loadCameraList, type CameraListFile } from './config.ts';

const { values } = parseArgs({
  options: {
    'mqtt-url': { type: 'string' },
    cameras: { type: 'string' },
    community: { type: 'string' },
    'poll-interval': { type: 'string' },
    discovery: { type: 'boolean' },
    'mqtt-username': { type: 'string' },
    'mqtt-password': { type: 'string' },
    'log-level': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(`usage: cli.ts --cameras FILE.yaml|json [--mqtt-url URL] [--community ID] [--poll-interval SECONDS] [--discovery]
environment: MQTT_URL, CAMERAS_FILE, COMMUNITY_ID, POLL_INTERVAL_S, DISCOVERY=1, MQTT_USERNAME, MQTT_PASSWORD, LOG_LEVEL
camera list format: docs/cameras.md`);
  process.exit(0);
}

const env = process.env;
const log = pino({ level: values['log-level'] ?? env.LOG_LEVEL ?? 'info', base: { svc: 'onvif-bridge' } });

function fatal(message: string): never {
  log.fatal(message);
  process.exit(2);
}

const mqttUrl = values['mqtt-url'] ?? env.MQTT_URL;
const camerasFile = values.cameras ?? env.CAMERAS_FILE;
let list: CameraListFile = { cameras: [] };
if (camerasFile) {
  try {
    list = loadCameraList(camerasFile);
  } catch (err) {
    fatal(err instanceof CameraConfigError ? err.message : `camera list: ${(err as Error).message}`);
  }
}
const communityId = values.community ?? env.COMMUNITY_ID ?? list.communityId;
if (!communityId) fatal('no community id: pass --community, set COMMUNITY_ID, or put communityId in the camera list');
if (!mqttUrl) log.warn('no MQTT_URL: readings are only logged (debug level), not published');
const pollS = Number(values['poll-interval'] ?? env.POLL_INTERVAL_S ?? 60);
if (!Number.isFinite(pollS) || pollS < 1) fatal(`poll interval must be at least 1 second (got ${pollS})`);
const discoveryOn = values.discovery ?? (env.DISCOVERY === '1' || env.DISCOVERY === 'true');
const discovery = { ...list.discovery, enabled: discoveryOn || list.discovery?.enabled };
if (list.cameras.length === 0 && !discovery.enabled && !discovery.targets?.length) {
  fatal('nothing to watch: give a camera list with --cameras, or enable discovery with --discovery');
}

const bridge = new OnvifBridge({
  communityId,
  cameras: list.cameras,
  mqtt: mqttUrl,
  mqttOptions: {
    username: values['mqtt-username'] ?? env.MQTT_USERNAME,
    password: values['mqtt-password'] ?? env.MQTT_PASSWORD,
    clientId: `onvif-bridge-${communityId}-${process.pid}`,
  },
  pollIntervalMs: pollS * 1000,
  discovery,
  logger: log,
});

bridge.on('telemetry', (id, p) => log.debug({ camera: id, ...p }, 'telemetry'));
bridge.on('status', (id, state, previous, reason) => log.info({ camera: id, state, previous, reason }, 'camera state'));
bridge.on('discovered', (found, adopted) =>
  log.info({ found: found.map((f) => ({ urn: f.urn, xaddrs: f.xaddrs, name: f.name })), adopted }, 'discovered cameras'),
);

await bridge.start();

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping');
  await bridge.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
