// The demo's grid-worker login: an account linked to a configured worker of the cell the scenario
// starts in, made through the admin API, so the worker's phone view (/worker, installable, with push)
// opens straight from the demo's output.
import crypto from 'node:crypto';
import fs from 'node:fs';

export interface WorkerLogin {
  username: string;
  password: string;
  name: string;
  phone?: string;
}

interface Person {
  id: string;
  name: string;
  phone?: string;
  role: string;
  cells: string[];
  username: string | null;
}

async function call<T>(url: string, init: RequestInit & { token?: string } = {}): Promise<{ status: number; body: T }> {
  const { token, ...rest } = init;
  const res = await fetch(url, {
    ...rest,
    headers: { ...(rest.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as T };
}

/**
 * Creates (or, with a kept data dir, reuses) the worker account. `file` keeps its password
 * (mode 0600) next to the admin's; a fresh password is made only for a new account.
 */
export async function demoWorkerLogin(httpUrl: string, admin: { username: string; password: string }, cellId: string | undefined, file: string): Promise<WorkerLogin | undefined> {
  const login = await call<{ token?: string }>(`${httpUrl}/api/auth/login`, { method: 'POST', body: JSON.stringify(admin) });
  const token = login.body.token;
  if (!token) return undefined;
  const kept = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as WorkerLogin) : undefined;
  const { body } = await call<{ people?: Person[] }>(`${httpUrl}/api/grid/people`, { token });
  const people = (body.people ?? []).filter((p) => p.role === 'worker');
  if (kept && people.some((p) => p.username === kept.username)) return kept;
  const person = people.find((p) => cellId !== undefined && p.cells.includes(cellId) && p.username === null) ?? people.find((p) => p.username === null);
  if (!person) return undefined;
  const password = crypto.randomBytes(9).toString('base64url');
  const created = await call(`${httpUrl}/api/users`, {
    method: 'POST',
    token,
    body: JSON.stringify({ username: person.id, password, role: 'worker', workerId: person.id, displayName: person.name }),
  });
  if (created.status !== 201) return undefined;
  const out: WorkerLogin = { username: person.id, password, name: person.name, ...(person.phone ? { phone: person.phone } : {}) };
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n', { mode: 0o600 });
  return out;
}
