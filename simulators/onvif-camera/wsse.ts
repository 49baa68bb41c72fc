import { createHash, timingSafeEqual } from 'node:crypto';
import { child, textOf, type XmlNode } from './xml.ts';

export type AuthOutcome = 'ok' | 'missing' | 'bad_user' | 'bad_password';

/**
 * Checks a WS-Security UsernameToken as ONVIF cameras do:
 * PasswordDigest = Base64(SHA1(nonce bytes + Created + password)); PasswordText is compared as is.
 */
export function checkUsernameToken(envelope: XmlNode, username: string, password: string): AuthOutcome {
  const token = child(envelope, 'Envelope', 'Header', 'Security', 'UsernameToken');
  if (!token || typeof token !== 'object') return 'missing';
  const user = textOf(child(token, 'Username'));
  const passNode = child(token, 'Password');
  const given = textOf(passNode);
  if (user === undefined || given === undefined) return 'missing';
  if (user !== username) return 'bad_user';
  const type = passNode && typeof passNode === 'object' ? String((passNode as XmlNode)['@_Type'] ?? '') : '';
  if (type.endsWith('#PasswordText')) return safeEqual(given, password) ? 'ok' : 'bad_password';
  const nonce = textOf(child(token, 'Nonce')) ?? '';
  const created = textOf(child(token, 'Created')) ?? '';
  const expected = passwordDigest(Buffer.from(nonce, 'base64'), created, password);
  return safeEqual(given, expected) ? 'ok' : 'bad_password';
}

export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')]))
    .digest('base64');
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
