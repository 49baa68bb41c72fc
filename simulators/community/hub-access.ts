import type { Logins } from './links.ts';

/**
 * What a simulator needs from a hub running in the same process once accounts and MQTT
 * credentials exist (the security issue): a gateway login for the devices and an API token.
 * Both are looked up by shape, so the same code runs against a hub with or without security.
 */
interface HubLike {
  httpUrl: string;
  security?: { credentials?: { issue(username: string, type: 'gateway', createdBy: string, opts: { communities?: string[]; replace?: boolean }): string | undefined } };
}

/** A gateway MQTT login for every community, or undefined when the hub's broker checks none. */
export function issueGatewayLogin(hub: unknown, username = 'community-sim'): Logins | undefined {
  const credentials = (hub as HubLike).security?.credentials;
  if (typeof credentials?.issue !== 'function') return undefined;
  const password = credentials.issue(username, 'gateway', 'community-sim', { communities: ['*'], replace: true });
  return password ? { '*': { username, password } } : undefined;
}

/** Headers for the hub's API: a bearer token from logging in, or none when the hub has no accounts. */
export async function hubApiHeaders(hub: HubLike, login?: { username: string; password: string }): Promise<Record<string, string>> {
  if (!login) return {};
  const res = await fetch(`${hub.httpUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-requested-with': 'fetch' },
    body: JSON.stringify(login),
  });
  if (res.status === 404) return {};
  if (!res.ok) throw new Error(`login as ${login.username}: HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { token?: string };
  return body.token ? { authorization: `Bearer ${body.token}` } : {};
}
