import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN } from '#devices';

/** GB/T 28181 ids: 20 digits (centre 8, industry 2, type 3, serial 7; 2016 edition Annex D). */
export const GB_ID_PATTERN = '^[0-9]{20}$';
const GbId = Type.String({ pattern: GB_ID_PATTERN });
const Id = Type.String({ pattern: ID_PATTERN });
const Secret = {
  password: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  /** the environment variable holding the password, resolved when the config is loaded */
  passwordEnv: Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' })),
};
const Place = {
  communityId: Type.Optional(Id),
  gridCellId: Type.Optional(Id),
  buildingId: Type.Optional(Id),
};

const GbDevice = Type.Object(
  { id: GbId, ...Secret, ...Place, name: Type.Optional(Type.String({ maxLength: 200 })), guard: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);

const Upstream = Type.Object(
  {
    /** the higher platform's id and domain */
    sipId: GbId,
    domain: Type.String({ minLength: 1, maxLength: 64 }),
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    transport: Type.Optional(Type.Union([Type.Literal('udp'), Type.Literal('tcp')])),
    ...Secret,
    expiresS: Type.Optional(Type.Integer({ minimum: 60, maximum: 86_400 })),
    keepaliveIntervalS: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
  },
  { additionalProperties: false },
);

/** The config file's `gb28181:` section. */
export const Gb28181Section = Type.Object(
  {
    /** the hub's own 20-digit SIP id and its domain (the id's first 10 digits by custom) */
    sipId: GbId,
    domain: Type.String({ minLength: 1, maxLength: 64 }),
    host: Type.Optional(Type.String({ minLength: 1 })),
    /** UDP and TCP; 5060 by default, 0 picks a free one (tests) */
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    /** Digest realm; the domain by default */
    realm: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** the realm password: any device that knows it may register (listed devices may have their own) */
    ...Secret,
    keepaliveIntervalS: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
    /** missed keepalives before a device is offline; 3 by default */
    keepaliveMissed: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    minExpiresS: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    maxExpiresS: Type.Optional(Type.Integer({ minimum: 60, maximum: 7 * 86_400 })),
    charset: Type.Optional(Type.Union([Type.Literal('GB2312'), Type.Literal('UTF-8')])),
    /** where channels (cameras) go unless their device says otherwise */
    communityId: Id,
    gridCellId: Type.Optional(Id),
    buildingId: Type.Optional(Id),
    maxChannelsPerDevice: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_536 })),
    /** a re-registration asks for the catalog again when the last one is older than this; 3600 by default */
    catalogRefreshS: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * 86_400 })),
    devices: Type.Optional(Type.Array(GbDevice)),
    upstream: Type.Optional(Upstream),
  },
  { additionalProperties: false },
);
export type Gb28181Section = Static<typeof Gb28181Section>;

export interface GbDeviceConfig {
  id: string;
  password?: string;
  communityId: string;
  gridCellId?: string;
  buildingId?: string;
  name?: string;
  guard: boolean;
}

export interface GbUpstreamConfig {
  sipId: string;
  domain: string;
  host: string;
  port: number;
  transport: 'udp' | 'tcp';
  password?: string;
  expiresS: number;
  keepaliveIntervalS: number;
}

/** The section with defaults filled in and passwords resolved: what the GB service is handed. */
export interface GbConfig {
  sipId: string;
  domain: string;
  host?: string;
  port: number;
  realm: string;
  password?: string;
  keepaliveIntervalS: number;
  keepaliveMissed: number;
  minExpiresS: number;
  maxExpiresS: number;
  charset: 'GB2312' | 'UTF-8';
  communityId: string;
  gridCellId?: string;
  buildingId?: string;
  maxChannelsPerDevice: number;
  catalogRefreshS: number;
  devices: Map<string, GbDeviceConfig>;
  upstream?: GbUpstreamConfig;
}

export class GbConfigError extends Error {}

type Env = Record<string, string | undefined>;

function secret(s: { password?: string; passwordEnv?: string }, env: Env, where: string): string | undefined {
  if (s.password !== undefined && s.passwordEnv !== undefined) throw new GbConfigError(`${where}: password and passwordEnv are exclusive`);
  if (s.passwordEnv === undefined) return s.password;
  const v = env[s.passwordEnv];
  if (!v) throw new GbConfigError(`${where}: environment variable ${s.passwordEnv} is not set`);
  return v;
}

/** Checks what the schema cannot and fills in defaults (2016 edition: keepalive 60 s, three missed). */
export function resolveGbConfig(s: Gb28181Section, env: Env): GbConfig {
  const devices = new Map<string, GbDeviceConfig>();
  for (const [i, d] of (s.devices ?? []).entries()) {
    if (devices.has(d.id)) throw new GbConfigError(`gb28181.devices[${i}]: ${d.id} is listed twice`);
    if (d.id === s.sipId) throw new GbConfigError(`gb28181.devices[${i}]: ${d.id} is the hub's own id`);
    const password = secret(d, env, `gb28181.devices[${i}]`);
    devices.set(d.id, {
      id: d.id,
      ...(password ? { password } : {}),
      communityId: d.communityId ?? s.communityId,
      ...(d.gridCellId ?? s.gridCellId ? { gridCellId: d.gridCellId ?? s.gridCellId } : {}),
      ...(d.buildingId ?? s.buildingId ? { buildingId: d.buildingId ?? s.buildingId } : {}),
      ...(d.name ? { name: d.name } : {}),
      guard: d.guard ?? false,
    });
  }
  const password = secret(s, env, 'gb28181');
  const minExpiresS = s.minExpiresS ?? 60;
  const maxExpiresS = s.maxExpiresS ?? 86_400;
  if (minExpiresS > maxExpiresS) throw new GbConfigError('gb28181: minExpiresS is over maxExpiresS');
  let upstream: GbUpstreamConfig | undefined;
  if (s.upstream) {
    const u = s.upstream;
    const upPassword = secret(u, env, 'gb28181.upstream');
    upstream = {
      sipId: u.sipId,
      domain: u.domain,
      host: u.host,
      port: u.port,
      transport: u.transport ?? 'udp',
      ...(upPassword ? { password: upPassword } : {}),
      expiresS: u.expiresS ?? 3600,
      keepaliveIntervalS: u.keepaliveIntervalS ?? 60,
    };
  }
  return {
    sipId: s.sipId,
    domain: s.domain,
    ...(s.host ? { host: s.host } : {}),
    port: s.port ?? 5060,
    realm: s.realm ?? s.domain,
    ...(password ? { password } : {}),
    keepaliveIntervalS: s.keepaliveIntervalS ?? 60,
    keepaliveMissed: s.keepaliveMissed ?? 3,
    minExpiresS,
    maxExpiresS,
    charset: s.charset ?? 'GB2312',
    communityId: s.communityId,
    ...(s.gridCellId ? { gridCellId: s.gridCellId } : {}),
    ...(s.buildingId ? { buildingId: s.buildingId } : {}),
    maxChannelsPerDevice: s.maxChannelsPerDevice ?? 4096,
    catalogRefreshS: s.catalogRefreshS ?? 3600,
    devices,
    ...(upstream ? { upstream } : {}),
  };
}
