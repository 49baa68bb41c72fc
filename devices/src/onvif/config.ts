import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { isValidId } from '#devices';
import type { CameraConfig } from './types.ts';

export interface DiscoveryConfig {
  /** Multicast WS-Discovery through node-onvif. Default false. */
  enabled?: boolean;
  /** How often to probe again, seconds. Default 300. */
  intervalS?: number;
  /** How long to collect answers per probe, ms. Default 3000. */
  waitMs?: number;
  /** Poll cameras found by discovery that are not in the static list. Default true. */
  adopt?: boolean;
  /** Directed (unicast) probes, `host:port`, for cameras on routed subnets where multicast does not reach. */
  targets?: string[];
  /** Credentials for adopted cameras. */
  username?: string;
  password?: string;
}

export interface CameraListFile {
  communityId?: string;
  cameras: CameraConfig[];
  discovery?: DiscoveryConfig;
}

export class CameraConfigError extends Error {
  override name = 'CameraConfigError';
}

const CAMERA_KEYS = new Set([
  'id', 'name', 'xaddr', 'host', 'port', 'urn', 'username', 'password', 'passwordEnv', 'profile',
  'gridCellId', 'buildingId', 'coverage', 'events',
]);

/** Reads a camera list (YAML, or JSON which is also YAML) and checks it, naming the offending entry on error. */
export function loadCameraList(path: string, env: NodeJS.ProcessEnv = process.env): CameraListFile {
  let raw: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new CameraConfigError(`cannot read camera list ${path}: ${(err as Error).message}`);
  }
  return parseCameraList(raw, env, path);
}

export function parseCameraList(raw: unknown, env: NodeJS.ProcessEnv = process.env, source = 'camera list'): CameraListFile {
  const doc = (Array.isArray(raw) ? { cameras: raw } : raw) as Record<string, unknown> | null;
  if (!doc || typeof doc !== 'object') throw new CameraConfigError(`${source}: expected an object with a "cameras" list`);
  const defaults = (doc.defaults ?? {}) as Record<string, unknown>;
  const list = doc.cameras ?? [];
  if (!Array.isArray(list)) throw new CameraConfigError(`${source}: "cameras" must be a list`);
  const seen = new Set<string>();
  const cameras = list.map((entry, i) => {
    const where = `${source}: cameras[${i}]`;
    if (!entry || typeof entry !== 'object') throw new CameraConfigError(`${where}: expected an object`);
    const c = { ...defaults, ...(entry as Record<string, unknown>) };
    for (const key of Object.keys(c)) if (!CAMERA_KEYS.has(key)) throw new CameraConfigError(`${where}: unknown key "${key}"`);
    if (typeof c.id !== 'string' || !isValidId(c.id)) throw new CameraConfigError(`${where}: "id" must match [A-Za-z0-9_-]{1,64}`);
    if (seen.has(c.id)) throw new CameraConfigError(`${where}: duplicate id "${c.id}"`);
    seen.add(c.id);
    if (c.xaddr === undefined && c.host === undefined) throw new CameraConfigError(`${where} (${c.id}): needs "xaddr" or "host"`);
    if (c.xaddr !== undefined) {
      try {
        new URL(String(c.xaddr));
      } catch {
        throw new CameraConfigError(`${where} (${c.id}): "xaddr" is not a URL`);
      }
    }
    for (const key of ['name', 'host', 'urn', 'username', 'password', 'profile', 'gridCellId', 'buildingId', 'xaddr'] as const) {
      if (c[key] !== undefined && typeof c[key] !== 'string') throw new CameraConfigError(`${where} (${c.id}): "${key}" must be a string`);
    }
    if (c.port !== undefined && (!Number.isInteger(c.port) || (c.port as number) < 1 || (c.port as number) > 65535)) {
      throw new CameraConfigError(`${where} (${c.id}): "port" must be 1-65535`);
    }
    if (c.coverage !== undefined && (!Array.isArray(c.coverage) || !c.coverage.every((x) => typeof x === 'string'))) {
      throw new CameraConfigError(`${where} (${c.id}): "coverage" must be a list of device or building ids`);
    }
    let password = c.password as string | undefined;
    if (typeof c.passwordEnv === 'string') {
      password = env[c.passwordEnv];
      if (password === undefined) throw new CameraConfigError(`${where} (${c.id}): environment variable ${c.passwordEnv} is not set`);
    }
    const { passwordEnv: _ignored, ...rest } = c;
    return { ...rest, password } as CameraConfig;
  });
  const communityId = doc.communityId;
  if (communityId !== undefined && (typeof communityId !== 'string' || !isValidId(communityId))) {
    throw new CameraConfigError(`${source}: "communityId" must match [A-Za-z0-9_-]{1,64}`);
  }
  return { communityId: communityId as string | undefined, cameras, discovery: doc.discovery as DiscoveryConfig | undefined };
}

/** The device-service URL of a configured camera. */
export function xaddrOf(c: CameraConfig): string {
  if (c.xaddr) return c.xaddr;
  const host = c.host!.includes(':') && !c.host!.startsWith('[') ? `[${c.host}]` : c.host;
  return `http://${host}${c.port ? `:${c.port}` : ''}/onvif/device_service`;
}
