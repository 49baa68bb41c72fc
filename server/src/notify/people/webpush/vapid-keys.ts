import fs from 'node:fs';
import path from 'node:path';
import webpush from 'web-push';

export interface VapidKeys {
  /** base64url, an uncompressed P-256 point (65 bytes) */
  publicKey: string;
  /** base64url, 32 bytes */
  privateKey: string;
}

const FILE = 'vapid.json';

/** The hub's VAPID key pair (RFC 8292), made at first start and kept in DATA_DIR: subscriptions are bound to it. */
export function loadVapidKeys(dataDir: string): VapidKeys {
  const file = path.join(dataDir, FILE);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true });
    try {
      fs.writeFileSync(file, JSON.stringify(webpush.generateVAPIDKeys()), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const keys = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<VapidKeys>;
  if (typeof keys.publicKey !== 'string' || Buffer.from(keys.publicKey, 'base64url').length !== 65 || typeof keys.privateKey !== 'string' || Buffer.from(keys.privateKey, 'base64url').length !== 32) {
    throw new Error(`${file}: not a VAPID key pair ({ publicKey, privateKey } in base64url)`);
  }
  return { publicKey: keys.publicKey, privateKey: keys.privateKey };
}
