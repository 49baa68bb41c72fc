import { hash, verify, type Algorithm } from '@node-rs/argon2';

/** Algorithm.Argon2id (an ambient const enum, so spelled as its value). */
const ARGON2ID = 2 as Algorithm;

/**
 * People's passwords: argon2id with the OWASP-recommended cost (19 MiB, 2 passes), about
 * 20–40 ms per hash here, which makes offline guessing of a stolen database expensive.
 */
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/** Spends the same time as a real check, so a login for an unknown user does not reveal that it is unknown. */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummy ??= hashPassword('not-a-real-password-just-timing');
  await verifyPassword(await dummy, password);
}

export function passwordAcceptable(password: string): boolean {
  return password.length >= MIN_PASSWORD_LENGTH && password.length <= MAX_PASSWORD_LENGTH;
}
