import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { loadConfig, type HubConfig } from '../../server/src/config.ts';
import { loadHubConfigFile } from '../../server/src/grid/config-file.ts';
import { Hub } from '../../server/src/hub.ts';
import { createLogger } from '../../server/src/log.ts';
import { TEST_BOOTSTRAP_ADMIN } from '../helpers/auth.ts';
import { tempDataDir } from '../helpers/hub.ts';

// The platforms' side (signatures, encryption, message shapes) is the NB-IoT simulator's.
export { ctwing, newEncodingAesKey, onenetEncrypt, onenetPlainBody, onenetSecureBody, onenetSignature, randomNonce } from '../../simulators/nbiot/index.ts';
import { newEncodingAesKey } from '../../simulators/nbiot/index.ts';

export const TOKENS = {
  CTWING_SMOKE_TOKEN: 'ctwing-smoke-secret-3f9a',
  CTWING_GAS_TOKEN: 'ctwing-gas-secret-77b1',
  ONENET_SMOKE_TOKEN: 'onenetSmokeTok3n',
  ONENET_GAS_TOKEN: 'onenetGasTok3n',
  ONENET_GAS_AES_KEY: newEncodingAesKey(),
  DAHUA_PASSWORD: 'dahua-pass',
};

/**
 * A hub whose config file is the shipped platforms example (config/platforms-example.yaml)
 * plus one community and the given devices; the example's secrets come from TOKENS.
 */
export async function startPlatformHub(
  devices: Record<string, unknown>[],
  productDevices: Partial<Record<'ctwing' | 'onenet', Record<string, Record<string, string>>>> = {},
  overrides: Partial<HubConfig> = {},
  /** more `platforms:` lists (hikvision, dahua) */
  extra: Record<string, unknown[]> = {},
): Promise<Hub> {
  const example = parseDocument(fs.readFileSync(path.resolve(import.meta.dirname, '../../config/platforms-example.yaml'), 'utf8')).toJS() as Record<string, unknown>;
  const platforms = example.platforms as Record<'ctwing' | 'onenet', { id: string; devices?: Record<string, string> }[]>;
  for (const [name, byProduct] of Object.entries(productDevices)) {
    for (const [id, map] of Object.entries(byProduct)) platforms[name as 'ctwing' | 'onenet'].find((p) => p.id === id)!.devices = map;
  }
  const dir = tempDataDir('platforms');
  const file = path.join(dir, 'hub.json');
  const content = {
    communities: [{ id: 'c1', name: { zh: '阳光社区', en: 'Sunshine' }, cells: [{ id: 'g1', buildings: [{ id: 'b1' }] }] }],
    devices,
    platforms: { ...platforms, ...extra },
  };
  fs.writeFileSync(file, JSON.stringify(content));
  const loaded = loadHubConfigFile(file, TOKENS);
  const config = loadConfig({}, { port: 0, mqttPort: 0, dataDir: path.join(dir, 'data'), bootstrapAdmin: TEST_BOOTSTRAP_ADMIN, logLevel: 'silent', configFile: file, file: loaded, ...overrides });
  const hub = new Hub(config, createLogger(config.logLevel));
  await hub.start();
  return hub;
}

export async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown>; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  const ms = performance.now() - t0;
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: res.status, json, ms };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
