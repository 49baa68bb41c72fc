// The demo's worker login (issue 15/16): an account for a configured worker of the given cell, made
// through the admin API of a real hub; it logs in as that worker, and a kept data dir reuses it.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../server/src/hub.ts';
import { startHub, tempDataDir } from '../helpers/hub.ts';
import { login, TEST_ADMIN } from '../helpers/auth.ts';
import { demoWorkerLogin } from '../../scripts/demo-worker.ts';

const CONFIG = {
  communities: [
    {
      id: 'c1',
      name: { zh: '幸福里社区', en: 'Xingfuli Community' },
      cells: [
        { id: 'c1-g1', name: { zh: '第一网格', en: 'Cell 1' }, workers: ['w1'], buildings: [] },
        { id: 'c1-g2', name: { zh: '第二网格', en: 'Cell 2' }, workers: ['w2'], buildings: [] },
      ],
    },
  ],
  workers: [
    { id: 'w1', name: '王强', phone: '13800000001', role: 'worker', cells: ['c1-g1'] },
    { id: 'w2', name: '赵敏', phone: '13800000002', role: 'worker', cells: ['c1-g2'] },
  ],
  devices: [],
};

describe('demo worker login (real hub)', () => {
  let hub: Hub;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = tempDataDir('demo-worker');
    const configFile = path.join(dataDir, 'hub-config.json');
    fs.writeFileSync(configFile, JSON.stringify(CONFIG));
    hub = await startHub({ dataDir, configFile });
  }, 60_000);
  afterAll(async () => {
    await hub?.stop();
  });

  it("makes an account for the cell's worker that logs in as them; a kept file is reused", async () => {
    const file = path.join(dataDir, 'demo-worker.json');
    const w = await demoWorkerLogin(hub.httpUrl, TEST_ADMIN, 'c1-g2', file);
    expect(w).toMatchObject({ username: 'w2', name: '赵敏', phone: '13800000002' });
    const token = await login(hub.httpUrl, { username: w!.username, password: w!.password });
    const me = (await (await fetch(`${hub.httpUrl}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })).json()) as { user: { role: string; workerId: string; cells: string[] } };
    expect(me.user).toMatchObject({ role: 'worker', workerId: 'w2', cells: ['c1-g2'] });
    expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
    const again = await demoWorkerLogin(hub.httpUrl, TEST_ADMIN, 'c1-g2', file);
    expect(again).toEqual(w);
    // without a cell, another worker without an account
    const other = await demoWorkerLogin(hub.httpUrl, TEST_ADMIN, undefined, path.join(dataDir, 'other.json'));
    expect(other?.username).toBe('w1');
  });

  it('gives up quietly with a wrong admin password', async () => {
    expect(await demoWorkerLogin(hub.httpUrl, { username: 'admin', password: 'wrong-password-x' }, 'c1-g1', path.join(dataDir, 'x.json'))).toBeUndefined();
  });
});
