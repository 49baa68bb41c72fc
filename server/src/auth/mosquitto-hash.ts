import crypto from 'node:crypto';

/**
 * MQTT secrets are stored as Mosquitto 2.0's `$7$` hash (PBKDF2-SHA512, 12-byte salt, 64-byte
 * key): one stored value serves the embedded broker and the exported Mosquitto password_file.
 * The iteration count is Mosquitto's own default: the secrets are 144 random bits, so stretching
 * adds nothing against guessing, while a cheap check keeps a reconnect storm of 50,000 devices
 * from eating the CPU (and verified results are cached on top).
 */
export const MOSQUITTO_ITERATIONS = 101;

export function generateSecret(): string {
  return crypto.randomBytes(18).toString('base64url');
}

export function mosquittoHash(password: string, iterations = MOSQUITTO_ITERATIONS): string {
  const salt = crypto.randomBytes(12);
  const key = crypto.pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface Parsed {
  iterations: number;
  salt: Buffer;
  key: Buffer;
}

function parse(stored: string): Parsed | undefined {
  const m = /^\$7\$(\d{1,7})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return undefined;
  return { iterations: Number(m[1]), salt: Buffer.from(m[2]!, 'base64'), key: Buffer.from(m[3]!, 'base64') };
}

/** Async (libuv thread pool), so a connect flood does not block the event loop. */
export function verifyMosquittoHash(stored: string, password: string): Promise<boolean> {
  const p = parse(stored);
  if (!p || p.iterations < 1 || p.key.length !== 64) return Promise.resolve(false);
  return new Promise((resolve) => {
    crypto.pbkdf2(password, p.salt, p.iterations, 64, 'sha512', (err, key) => {
      resolve(!err && crypto.timingSafeEqual(key, p.key));
    });
  });
}
