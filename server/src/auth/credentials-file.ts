import fs from 'node:fs';

/**
 * The credentials file that provisioning writes and the simulators and bench read:
 * `{ "gateway": { "username", "password" }, "devices": { "<deviceId>": "<password>" } }`.
 * Written with mode 0600: it holds plaintext secrets.
 */
export interface CredentialsFile {
  gateway?: { username: string; password: string };
  devices?: Record<string, string>;
}

export function readCredentialsFile(file: string): CredentialsFile {
  if (!fs.existsSync(file)) return {};
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${file}: not a credentials file`);
  return parsed as CredentialsFile;
}

/** Merges into the file (a new gateway replaces the old one; device entries are added or replaced). */
export function writeCredentialsFile(file: string, add: CredentialsFile): void {
  const current = readCredentialsFile(file);
  const next: CredentialsFile = {
    ...current,
    ...(add.gateway ? { gateway: add.gateway } : {}),
    ...(add.devices || current.devices ? { devices: { ...(current.devices ?? {}), ...(add.devices ?? {}) } } : {}),
  };
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}
