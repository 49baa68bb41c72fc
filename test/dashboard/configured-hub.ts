// A real hub in this process with a HUB_CONFIG file, an admin session with a gateway credential,
// and a way to publish as any configured device: what the control-room browser tests start from.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import type { Hub } from '../../server/src/hub.ts';
import { startHub, tempDataDir } from '../helpers/hub.ts';
import { adminSession, type HubSession } from '../helpers/auth.ts';

export interface ConfiguredHub {
  hub: Hub;
  session: HubSession;
  publish(communityId: string, deviceId: string, channel: string, payload: unknown, kind?: string): Promise<void>;
  stop(): Promise<void>;
}

export async function configuredHub(name: string, config: unknown): Promise<ConfiguredHub> {
  const dataDir = tempDataDir(name);
  const configFile = path.join(dataDir, 'hub-config.json');
  fs.writeFileSync(configFile, JSON.stringify(config));
  const hub = await startHub({ dataDir, configFile });
  const session = await adminSession(hub.httpUrl, `gw-${name}`);
  return {
    hub,
    session,
    async publish(communityId, deviceId, channel, payload, kind = 'smoke') {
      const c = await mqtt.connectAsync(hub.mqttUrl, { clientId: `${name}-${deviceId}-${randomBytes(3).toString('hex')}`, reconnectPeriod: 0, ...session.gateway });
      await c.publishAsync(`community/${communityId}/${kind}/${deviceId}/${channel}`, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 });
      await c.endAsync();
    },
    async stop() {
      await hub.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Copies a screenshot where the session's notes keep them, when SHOTS_DIR asks for it. */
export function keepShot(file: string): void {
  const dir = process.env.SHOTS_DIR;
  if (dir) fs.copyFileSync(file, path.join(dir, path.basename(file)));
}
