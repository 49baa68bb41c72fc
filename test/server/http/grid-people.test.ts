// GET /api/grid/people: who an alert can be assigned to, with linked accounts and reachability,
// within the caller's scope (a worker sees their own cell's people only).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../../server/src/hub.ts';
import type { PeopleReply } from '../../../devices/src/wire.ts';
import { authedFetch, createUser, login, TEST_ADMIN } from '../../helpers/auth.ts';
import { startHub } from '../../helpers/hub.ts';

const CONFIG = {
  communities: [
    {
      id: 'c1',
      controlRoom: { lead: 'lead1' },
      cells: [
        { id: 'g1', supervisor: 'sup1', workers: ['w1'] },
        { id: 'g2', workers: ['w2'] },
      ],
    },
    { id: 'c2', cells: [{ id: 'g3', workers: ['w3'] }] },
  ],
  workers: [
    { id: 'w1', name: '王强', phone: '13800000001', role: 'worker', cells: ['g1'], accounts: { wecom: 'wangqiang' } },
    { id: 'w2', name: '赵敏', phone: '13800000002', role: 'worker', cells: ['g2'] },
    { id: 'w3', name: '孙立', phone: '13800000003', role: 'worker', cells: ['g3'] },
    { id: 'sup1', name: '林艳', phone: '13800000004', role: 'supervisor', accounts: { dingtalk: 'linyan' } },
    { id: 'lead1', name: '陈刚', phone: '13800000005', role: 'lead' },
  ],
};
const PASSWORD = 'long-enough-password';

describe('GET /api/grid/people', () => {
  let hub: Hub;
  let dir: string;
  const tokens: Record<string, string> = {};
  const people = async (who: string) => {
    const res = await authedFetch(tokens[who]!)(`${hub.httpUrl}/api/grid/people`);
    expect(res.status, who).toBe(200);
    return ((await res.json()) as PeopleReply).people;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csh-people-'));
    const configFile = path.join(dir, 'hub.json');
    fs.writeFileSync(configFile, JSON.stringify(CONFIG));
    hub = await startHub({ configFile });
    tokens.admin = await login(hub.httpUrl, TEST_ADMIN);
    await createUser(hub.httpUrl, tokens.admin, { username: 'wq', password: PASSWORD, role: 'worker', workerId: 'w1' });
    await createUser(hub.httpUrl, tokens.admin, { username: 'op1', password: PASSWORD, role: 'operator', communities: ['c1'] });
    for (const u of ['wq', 'op1']) tokens[u] = await login(hub.httpUrl, { username: u, password: PASSWORD });
  });
  afterAll(async () => {
    await hub?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists the cells\' workers, supervisors and the lead, with phones, accounts and reachability', async () => {
    const list = await people('op1');
    const byId = Object.fromEntries(list.map((p) => [p.id, p]));
    expect(Object.keys(byId).sort()).toEqual(['lead1', 'sup1', 'w1', 'w2']);
    expect(byId.w1).toMatchObject({ name: '王强', phone: '13800000001', role: 'worker', cells: ['g1'], username: 'wq', reachable: { account: true, wecom: true, dingtalk: false } });
    expect(byId.sup1).toMatchObject({ role: 'supervisor', cells: ['g1'], username: null, reachable: { account: false, wecom: false, dingtalk: true } });
    expect(byId.lead1!.cells.sort()).toEqual(['g1', 'g2']);
    expect(byId.w2!.reachable).toEqual({ account: false, wecom: false, dingtalk: false });
  });

  it('a worker sees the people of their own cell only; an admin sees every community', async () => {
    const mine = await people('wq');
    expect(mine.map((p) => p.id).sort()).toEqual(['lead1', 'sup1', 'w1']);
    expect(JSON.stringify(mine)).not.toContain('13800000002');
    expect((await people('admin')).map((p) => p.id).sort()).toEqual(['lead1', 'sup1', 'w1', 'w2', 'w3']);
  });

  it('needs a session', async () => {
    expect((await fetch(`${hub.httpUrl}/api/grid/people`)).status).toBe(401);
  });
});
