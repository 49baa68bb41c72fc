import type http from 'node:http';
import digestAuthHeader from 'digest-header';

/**
 * HTTP Digest for the hub's clients of devices (ISAPI and Dahua event streams, ONVIF snapshots),
 * in one place, answered by the digest-header package: MD5, qop=auth or none, which is what
 * Hikvision and Dahua controllers and cameras offer (alone or beside SHA-256).
 */

/** A response's WWW-Authenticate challenges, one per scheme offered. */
export function wwwAuthenticate(headers: http.IncomingHttpHeaders): string[] {
  const h = headers['www-authenticate'];
  if (!h) return [];
  // Node joins repeated headers with ", " which would split inside digest parameters; split only before a scheme.
  return (Array.isArray(h) ? h : [h]).flatMap((v) => v.split(/,\s*(?=(?:Digest|Basic)\s)/i));
}

const algorithmOf = (challenge: string) => /algorithm\s*=\s*"?([A-Za-z0-9-]+)/i.exec(challenge)?.[1] ?? 'MD5';

/**
 * The Authorization header answering a 401's MD5 Digest challenge for `method` on `url`, or why
 * there is none: no Digest offered, only other algorithms, a challenge without realm or nonce,
 * or credentials digest-header cannot carry (it splits `user:password` at every colon).
 */
export function digestAuthorization(method: string, url: URL, headers: http.IncomingHttpHeaders, username: string, password: string): { authorization: string } | { error: string } {
  const digests = wwwAuthenticate(headers).filter((c) => /^digest\s/i.test(c));
  if (digests.length === 0) return { error: 'the device asks for no Digest authentication' };
  const md5 = digests.find((c) => /^md5$/i.test(algorithmOf(c)));
  if (!md5) return { error: `the device offers only Digest ${digests.map(algorithmOf).join(', ')}, not MD5` };
  if (username.includes(':') || password.includes(':')) return { error: "the username and password may not contain ':' (HTTP Digest through digest-header)" };
  const authorization = digestAuthHeader(method, url.pathname + url.search, md5, `${username}:${password}`);
  return authorization ? { authorization } : { error: 'the Digest challenge has no realm or nonce' };
}
