import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type HubConfig } from '../../server/src/config.ts';
import { Hub } from '../../server/src/hub.ts';
import { createLogger } from '../../server/src/log.ts';
import { TEST_BOOTSTRAP_ADMIN, login } from '../helpers/auth.ts';
import { tempDataDir } from '../helpers/hub.ts';
import { freePort } from '../helpers/ports.ts';

const hubOn = (overrides: Partial<HubConfig>) => {
  const config = loadConfig({}, { port: 0, mqttPort: 0, dataDir: tempDataDir('lifecycle'), bootstrapAdmin: TEST_BOOTSTRAP_ADMIN, logLevel: 'silent', ...overrides });
  return new Hub(config, createLogger(config.logLevel));
};

/** Handles this process holds, by kind (servers, sockets, timers, workers...). */
function handles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}
const occupy = async (port: number) => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return server;
};
const settle = () => new Promise((r) => setTimeout(r, 200));

describe('Hub: the constructor only stores; start() owns every side effect and undoes them when it fails', () => {
  const cleanup: (() => Promise<unknown> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('constructing a hub opens, creates and listens on nothing', async () => {
    const dataDir = path.join(tempDataDir('lifecycle-none'), 'not-yet');
    const port = await freePort();
    const before = handles();
    const hub = hubOn({ dataDir, port, mqttPort: port });
    expect(fs.existsSync(dataDir)).toBe(false);
    expect(handles()).toEqual(before);
    expect(() => hub.registry).toThrow(/before start/);
    await hub.stop();
  });

  it('HTTP port taken: start() rejects, and the broker port, the DB, the writer and the timers are all released', async () => {
    const [httpPort, mqttPort] = [await freePort(), await freePort()];
    const blocker = await occupy(httpPort);
    cleanup.push(() => new Promise((r) => blocker.close(r)));
    const dataDir = tempDataDir('lifecycle-http');
    await settle();
    const before = handles();
    const failed = hubOn({ dataDir, port: httpPort, mqttPort });
    await expect(failed.start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await settle();
    expect(handles()).toEqual(before);
    expect(() => failed.db.prepare('SELECT 1').get()).toThrow(/not open/);
    // The same broker port and DATA_DIR serve a second hub at once.
    const second = hubOn({ dataDir, port: 0, mqttPort });
    await second.start();
    cleanup.push(() => second.stop());
    expect(second.mqttUrl).toBe(`mqtt://127.0.0.1:${mqttPort}`);
    await login(second.httpUrl);
  });

  it('MQTT broker port taken: start() rejects and the HTTP side never stays up', async () => {
    const [httpPort, mqttPort] = [await freePort(), await freePort()];
    const blocker = await occupy(mqttPort);
    cleanup.push(() => new Promise((r) => blocker.close(r)));
    const dataDir = tempDataDir('lifecycle-mqtt');
    await settle();
    const before = handles();
    await expect(hubOn({ dataDir, port: httpPort, mqttPort }).start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await settle();
    expect(handles()).toEqual(before);
    const second = hubOn({ dataDir, port: httpPort, mqttPort: 0 });
    await second.start();
    cleanup.push(() => second.stop());
    expect(second.httpUrl).toBe(`http://127.0.0.1:${httpPort}`);
  });

  it('a bad DATA_DIR fails start(), not the constructor', async () => {
    const file = path.join(tempDataDir('lifecycle-file'), 'a-file');
    fs.writeFileSync(file, '');
    const hub = hubOn({ dataDir: path.join(file, 'data') });
    await expect(hub.start()).rejects.toThrow(/a-file/);
  });
});
