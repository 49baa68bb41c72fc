import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadHubConfigFile } from '../../server/src/grid/config-file.ts';
import { StartupError } from '../../server/src/startup-error.ts';
import { tempDataDir } from '../helpers/hub.ts';
import { TOKENS } from './platform-clients.ts';

const example = path.resolve(import.meta.dirname, '../../config/platforms-example.yaml');

function write(text: string): string {
  const file = path.join(tempDataDir('platform-config'), 'hub.yaml');
  fs.writeFileSync(file, text);
  return file;
}

describe('the platforms: section of the config file', () => {
  it('loads the shipped example, with its secrets from the environment', () => {
    const loaded = loadHubConfigFile(example, TOKENS);
    expect(loaded.platformProducts!.ctwing.map((p) => [p.id, p.kind])).toEqual([['15100001', 'smoke'], ['15100002', 'gas']]);
    expect(loaded.platformProducts!.onenet.find((p) => p.id === 'onenet-gas')).toMatchObject({ token: TOKENS.ONENET_GAS_TOKEN, aesKey: TOKENS.ONENET_GAS_AES_KEY });
  });

  it('stops the start naming the product when a secret is missing', () => {
    const { CTWING_GAS_TOKEN: _, ...rest } = TOKENS;
    expect(() => loadHubConfigFile(example, rest)).toThrow(StartupError);
    expect(() => loadHubConfigFile(example, rest)).toThrow(/platforms\.ctwing\[1\] \(15100002\).*CTWING_GAS_TOKEN/);
  });

  it('refuses an unknown mapping key, a bad binary type and a duplicate product', () => {
    expect(() => loadHubConfigFile(write('platforms:\n  ctwing:\n    - { id: p1, kind: smoke, token: t, map: { telemetri: {} } }\n'), {})).toThrow(/platforms\/ctwing\/0\/map/);
    expect(() => loadHubConfigFile(write('platforms:\n  ctwing:\n    - { id: p1, kind: gas, token: t, map: { appData: { format: binary, fields: [{ name: a, offset: 0, type: uint64 }] } } }\n'), {})).toThrow(StartupError);
    expect(() => loadHubConfigFile(write('platforms:\n  onenet:\n    - { id: p1, kind: smoke, token: t, map: {} }\n    - { id: p1, kind: gas, token: u, map: {} }\n'), {})).toThrow(/used twice/);
    expect(() => loadHubConfigFile(write('platforms:\n  hikvision:\n    - { deviceId: g1, url: "http://10.0.0.9", username: admin, password: "a:b" }\n'), {})).toThrow(/may not contain ':'/);
  });
});
