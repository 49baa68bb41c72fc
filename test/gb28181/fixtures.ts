import { spawn } from 'node:child_process';
import type { GbConfig, GbDeviceConfig } from '../../server/src/gb28181/config.ts';

export const PLATFORM_ID = '34020000002000000001';
export const DOMAIN = '3402000000';
export const REALM_PASSWORD = 'realm-pass-1';

export function platformConfig(over: Partial<GbConfig> = {}, devices: GbDeviceConfig[] = []): GbConfig {
  return {
    sipId: PLATFORM_ID,
    domain: DOMAIN,
    host: '127.0.0.1',
    port: 0,
    realm: DOMAIN,
    password: REALM_PASSWORD,
    keepaliveIntervalS: 60,
    keepaliveMissed: 3,
    minExpiresS: 60,
    maxExpiresS: 86_400,
    charset: 'GB2312',
    communityId: 'c1',
    maxChannelsPerDevice: 4096,
    catalogRefreshS: 3600,
    devices: new Map(devices.map((d) => [d.id, d])),
    ...over,
  };
}

/** Runs Debian's sipsak and resolves with its exit code and output (it is killed after 10 s). */
export function sipsak(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/sipsak', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** A keepalive MESSAGE as a file for `sipsak -f` (LF line ends: sipsak inserts the CRs). */
export function keepaliveFile(deviceId: string, sn = 1): string {
  const body = `<?xml version="1.0" encoding="GB2312"?>\n<Notify>\n<CmdType>Keepalive</CmdType>\n<SN>${sn}</SN>\n<DeviceID>${deviceId}</DeviceID>\n<Status>OK</Status>\n</Notify>\n`;
  return [
    `MESSAGE sip:${PLATFORM_ID}@${DOMAIN} SIP/2.0`,
    `From: <sip:${deviceId}@${DOMAIN}>;tag=ka${sn}`,
    `To: <sip:${PLATFORM_ID}@${DOMAIN}>`,
    `Call-ID: keepalive-${sn}-${deviceId}@127.0.0.1`,
    `CSeq: ${sn} MESSAGE`,
    'Max-Forwards: 70',
    'Content-Type: Application/MANSCDP+xml',
    // sipsak turns each LF into CRLF, the body's included.
    `Content-Length: ${Buffer.byteLength(body) + body.split('\n').length - 1}`,
    '',
    body,
  ].join('\n');
}
