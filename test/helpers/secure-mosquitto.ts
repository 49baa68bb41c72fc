import fs from 'node:fs';
import path from 'node:path';
import { freePort } from './ports.ts';
import { startMosquitto, type Service } from './services.ts';

export interface GeneratedFiles {
  passwordFile: string;
  aclFile: string;
  hubPasswordFile: string;
}

export interface SecureMosquitto {
  service: Service;
  /** The devices' listener: use_username_as_clientid (config/mosquitto/hub.conf), password_file. */
  deviceUrl: string;
  /** The hub's own listener: hub_password_file only, client ids free. */
  hubUrl: string;
}

/**
 * A real Mosquitto laid out as docs/security.md tells an operator: per-listener settings, the
 * devices' listener with hub.conf and the generated password_file, the hub's listener with the
 * generated hub_password_file, one acl_file for both.
 */
export async function startSecureMosquitto(dir: string, files: GeneratedFiles): Promise<SecureMosquitto> {
  fs.mkdirSync(dir, { recursive: true });
  const file = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text, { mode: 0o600 });
    return path.join(dir, name);
  };
  const pw = file('password_file', files.passwordFile);
  const hubPw = file('hub_password_file', files.hubPasswordFile);
  const acl = file('acl_file', files.aclFile);
  const hubPort = await freePort();
  // Started as root (CI), Mosquitto drops to the `mosquitto` user, which cannot read these 0600
  // files in a private temp dir; a deployment chowns them to mosquitto instead.
  const asRoot = process.getuid?.() === 0 ? 'user root\n' : '';
  const service = await startMosquitto({
    perListener: true,
    extraConfig:
      `${asRoot}allow_anonymous false\npassword_file ${pw}\nacl_file ${acl}\n` +
      `listener ${hubPort} 127.0.0.1\nallow_anonymous false\npassword_file ${hubPw}\nacl_file ${acl}\n`,
  });
  return { service, deviceUrl: service.url, hubUrl: `mqtt://127.0.0.1:${hubPort}` };
}
