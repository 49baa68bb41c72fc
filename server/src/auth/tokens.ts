import crypto from 'node:crypto';

/** Opaque bearer tokens: 256 random bits; only their SHA-256 is stored, so a leaked database holds no usable token. */
export function newToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

export function tokenDigest(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

/** Constant-time string comparison (for tokens compared in memory). */
export function sameSecret(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && crypto.timingSafeEqual(ba, bb);
}
