import type { InjectOptions } from 'fastify';
import { loadConfig } from '../../server/src/config.ts';
import { parseHubConfig } from '../../server/src/grid/config-file.ts';
import { Hub } from '../../server/src/hub.ts';
import { createLogger } from '../../server/src/log.ts';
import { TEST_ADMIN, TEST_BOOTSTRAP_ADMIN } from '../helpers/auth.ts';
import { tempDataDir } from '../helpers/hub.ts';

/** Two communities; hx has two cells with a worker each and a supervisor over g1. */
export const CASE_CONFIG = parseHubConfig({
  communities: [
    {
      id: 'hx',
      name: { zh: '和谐社区', en: 'Hexie' },
      controlRoom: { lead: 'lead' },
      cells: [
        { id: 'g1', name: '一网格', supervisor: 'li', workers: ['zhang'], buildings: [{ id: 'b1', name: { zh: '1号楼', en: 'Bldg 1' } }] },
        { id: 'g2', name: '二网格', workers: ['wang'], buildings: [{ id: 'b2', name: '2号楼' }] },
      ],
    },
    { id: 'yq', name: '阳泉社区', cells: [{ id: 'y1', workers: ['zhao'] }] },
  ],
  workers: [
    { id: 'zhang', name: '张伟', role: 'worker', phone: '13800000001' },
    { id: 'wang', name: '王芳', role: 'worker' },
    { id: 'zhao', name: '赵强', role: 'worker' },
    { id: 'li', name: '李娜', role: 'supervisor' },
    { id: 'lead', name: '陈主任', role: 'lead' },
  ],
  devices: [{ id: 's1', kind: 'smoke', communityId: 'hx', gridCellId: 'g1', buildingId: 'b1', floor: 3 }],
  cases: { communityCodes: { hx: 'HX01' }, residentReportsPerHour: 4 },
});

export interface CaseHub {
  hub: Hub;
  clock: { now: number };
  /** inject as a user (admin by default); JSON in and out */
  as(user: string): (opts: InjectOptions) => Promise<{ status: number; body: any }>;
  token(user: string): string;
  stop(): Promise<void>;
}

export const CASE_PASSWORD = 'case-test-password-1';
const PASSWORD = CASE_PASSWORD;

/** A hub on an injected clock with the case config and one account for each kind of person. */
export async function startCaseHub(start: number, file = CASE_CONFIG): Promise<CaseHub> {
  const clock = { now: start };
  const config = loadConfig({}, { port: 0, mqttPort: 0, dataDir: tempDataDir('cases'), bootstrapAdmin: TEST_BOOTSTRAP_ADMIN, logLevel: 'silent', httpRateLimit: 1_000_000, loginRateLimit: 1_000_000, sessionTtlS: 30 * 86_400, file: { ...file, cameraLists: [] } });
  const hub = new Hub(config, createLogger('silent'), { clock: () => clock.now });
  await hub.start();
  const tokens = new Map<string, string>();
  const login = async (username: string, password: string) => {
    const res = await hub.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
    if (res.statusCode !== 200) throw new Error(`login ${username}: ${res.body}`);
    tokens.set(username, (res.json() as { token: string }).token);
  };
  await login(TEST_ADMIN.username, TEST_ADMIN.password);
  const users = [
    { username: 'op', role: 'operator', communities: ['hx'] },
    { username: 'opall', role: 'operator', communities: ['*'] },
    { username: 'zhang', role: 'worker', workerId: 'zhang' },
    { username: 'wang', role: 'worker', workerId: 'wang' },
    { username: 'li', role: 'worker', workerId: 'li' },
    { username: 'viewer', role: 'viewer', communities: ['hx'] },
  ];
  for (const u of users) {
    const res = await hub.app.inject({ method: 'POST', url: '/api/users', headers: { authorization: `Bearer ${tokens.get('admin')}` }, payload: { ...u, password: PASSWORD } });
    if (res.statusCode >= 300) throw new Error(`create ${u.username}: ${res.body}`);
    await login(u.username, PASSWORD);
  }
  return {
    hub,
    clock,
    as: (user) => async (opts) => {
      const res = await hub.app.inject({ ...opts, headers: { ...(opts.headers ?? {}), ...(user === 'public' ? {} : { authorization: `Bearer ${tokens.get(user)}` }) } });
      let body: unknown = res.body;
      try {
        body = res.json();
      } catch {
        // not JSON (a page, a photo)
      }
      return { status: res.statusCode, body };
    },
    token: (user) => tokens.get(user)!,
    stop: () => hub.stop(),
  };
}
