import WebSocket from 'ws';

/** The admin every test hub gets through HUB_BOOTSTRAP_ADMIN (see startHub / startHubProcess). */
export const TEST_ADMIN = { username: 'admin', password: 'test-admin-password' } as const;
export const TEST_BOOTSTRAP_ADMIN = `${TEST_ADMIN.username}:${TEST_ADMIN.password}`;

export interface MqttLogin {
  username: string;
  password: string;
}

/** Logs in and returns the bearer token. */
export async function login(httpUrl: string, user: { username: string; password: string } = TEST_ADMIN): Promise<string> {
  const res = await fetch(`${httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
  if (!res.ok) throw new Error(`login as ${user.username}: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** fetch with a bearer token (and JSON content type when there is a body). */
export function authedFetch(token: string): (url: string, init?: RequestInit) => Promise<Response> {
  return (url, init = {}) =>
    fetch(url, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(init.headers ?? {}) },
    });
}

async function postJson<T>(httpUrl: string, token: string, path: string, body: unknown): Promise<T> {
  const res = await authedFetch(token)(`${httpUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** An admin-created gateway credential that may publish for any device of the given communities. */
export async function createGateway(httpUrl: string, token: string, id = 'test-gateway', communities: string[] = ['*']): Promise<MqttLogin> {
  return (await postJson<{ mqtt: MqttLogin }>(httpUrl, token, '/api/mqtt/gateways', { id, communities })).mqtt;
}

/** Provisions one device through the API and returns its MQTT credential. */
export async function provisionDevice(
  httpUrl: string,
  token: string,
  device: { id: string; kind: string; communityId: string; gridCellId?: string; buildingId?: string },
): Promise<MqttLogin> {
  return (await postJson<{ mqtt: MqttLogin }>(httpUrl, token, '/api/devices', device)).mqtt;
}

export async function createUser(httpUrl: string, token: string, user: Record<string, unknown>): Promise<void> {
  await postJson(httpUrl, token, '/api/users', user);
}

/** Opens /ws with a bearer token; resolves once open. */
export async function openLive(httpUrl: string, token: string): Promise<WebSocket> {
  const ws = new WebSocket(`${httpUrl.replace(/^http/, 'ws')}/ws`, { headers: { authorization: `Bearer ${token}` } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`/ws: HTTP ${res.statusCode}`)));
  });
  return ws;
}

/** Everything a test needs to talk to a hub as the admin: a token, fetch, and a gateway for MQTT. */
export interface HubSession {
  token: string;
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
  gateway: MqttLogin;
}

export async function adminSession(httpUrl: string, gatewayId = 'test-gateway'): Promise<HubSession> {
  const token = await login(httpUrl);
  return { token, fetch: authedFetch(token), gateway: await createGateway(httpUrl, token, gatewayId) };
}
