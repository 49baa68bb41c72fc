import fs from 'node:fs';
import path from 'node:path';
import type https from 'node:https';
import { loadConfig } from '../../server/src/config.ts';
import { Hub } from '../../server/src/hub.ts';
import { createLogger } from '../../server/src/log.ts';
import type { PersonOutboxOptions } from '../../server/src/notify/people/outbox.ts';
import { SAMPLE_CONFIG } from '../helpers/alerts.ts';
import { authedFetch, createUser, login, TEST_BOOTSTRAP_ADMIN } from '../helpers/auth.ts';
import { tempDataDir } from '../helpers/hub.ts';

export const WORKER_PASSWORD = 'worker-password-2026';

/** A hub on free ports with the sample grid (plus `extra` config), short outbox timings, and `pushAgent` trusting a local push service. */
export async function startDeliveryHub(o: { extra?: Record<string, unknown>; pushAgent?: https.Agent; outbox?: Partial<PersonOutboxOptions>; dataDir?: string; clock?: () => number } = {}): Promise<Hub> {
  const dataDir = o.dataDir ?? tempDataDir('push');
  const configFile = path.join(dataDir, 'community.json');
  fs.writeFileSync(configFile, JSON.stringify({ ...SAMPLE_CONFIG, ...o.extra }));
  const config = loadConfig({}, { port: 0, mqttPort: 0, dataDir, bootstrapAdmin: TEST_BOOTSTRAP_ADMIN, logLevel: (process.env.TEST_LOG_LEVEL as 'silent') ?? 'silent', configFile });
  const hub = new Hub(config, createLogger(config.logLevel), {
    ...(o.clock ? { clock: o.clock } : {}),
    delivery: { outbox: { pollMs: 50, maxBackoffMs: 200, sendTimeoutMs: 3000, maxAttempts: 1000, ...o.outbox }, ...(o.pushAgent ? { pushAgent: o.pushAgent } : {}) },
  });
  await hub.start();
  return hub;
}

/** Creates a worker account linked to a grid worker and returns a fetch logged in as it. */
export async function workerAccount(hub: Hub, username: string, workerId: string, extra: Record<string, unknown> = {}): Promise<(url: string, init?: RequestInit) => Promise<Response>> {
  const admin = await login(hub.httpUrl);
  await createUser(hub.httpUrl, admin, { username, password: WORKER_PASSWORD, role: 'worker', workerId, ...extra });
  return authedFetch(await login(hub.httpUrl, { username, password: WORKER_PASSWORD }));
}
