import fs from 'node:fs';
import path from 'node:path';
import { generateSecret } from './mosquitto-hash.ts';
import type { MqttCredentialRepository } from './mqtt-credentials.ts';

/** The hub's own MQTT username; contains a dot, which device ids cannot, so it never collides. */
export const HUB_MQTT_USERNAME = 'hub.internal';
const FILE = 'mqtt-hub-credential.json';

/**
 * The hub's own MQTT credential: generated at first start, kept in DATA_DIR (mode 0600) so the
 * hub can log in after a restart, and registered (hashed) with the credentials the broker checks.
 */
export function loadOrCreateHubCredential(dataDir: string, credentials: MqttCredentialRepository): { username: string; password: string } {
  const file = path.join(dataDir, FILE);
  let cred: { username: string; password: string } | undefined;
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { username?: unknown; password?: unknown };
    if (typeof parsed.username === 'string' && typeof parsed.password === 'string') cred = { username: parsed.username, password: parsed.password };
  } catch {
    cred = undefined;
  }
  let created = false;
  if (!cred) {
    created = true;
    cred = { username: HUB_MQTT_USERNAME, password: generateSecret() };
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, JSON.stringify(cred) + '\n', { mode: 0o600 });
  }
  const stored = credentials.get(cred.username);
  if (created || !stored || stored.type !== 'hub') credentials.issue(cred.username, 'hub', 'hub', { replace: true, password: cred.password });
  return cred;
}
