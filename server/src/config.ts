import os from 'node:os';
import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { loadHubConfigFile, type LoadedConfigFile } from './grid/config-file.ts';

/**
 * The hub's configuration: read from the environment (and the HUB_CONFIG file) once, checked,
 * frozen and handed down. No other module reads process.env. A bad variable is a ConfigError;
 * a bad config file a StartupError naming its file and line.
 */
const ConfigSchema = Type.Object({
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  host: Type.String({ minLength: 1 }),
  mqttUrl: Type.Optional(Type.String({ pattern: '^(mqtts?|tcp|ssl|wss?)://' })),
  mqttPort: Type.Integer({ minimum: 0, maximum: 65535 }),
  mqttClientId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
  mqttUsername: Type.Optional(Type.String()),
  mqttPassword: Type.Optional(Type.String()),
  /** PEM CA bundle that signs an external mqtts:// broker's certificate (a private CA or self-signed). */
  mqttCaFile: Type.Optional(Type.String({ minLength: 1 })),
  mqttSharedGroup: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })),
  /** Scale-out partition: the communities this hub owns (all when unset). */
  communities: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), { minItems: 1 })),
  retentionRawDays: Type.Integer({ minimum: 1 }),
  retention1mDays: Type.Integer({ minimum: 1 }),
  retention1hDays: Type.Integer({ minimum: 1 }),
  influxUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
  dataDir: Type.String({ minLength: 1 }),
  configFile: Type.Optional(Type.String()),
  spoolMaxBytes: Type.Integer({ minimum: 1024 * 1024 }),
  storeBatchSize: Type.Integer({ minimum: 1, maximum: 100_000 }),
  storeFlushMs: Type.Integer({ minimum: 0, maximum: 60_000 }),
  rejectedKept: Type.Integer({ minimum: 1, maximum: 100_000 }),
  dashboardDir: Type.String(),
  logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
  bootstrapAdmin: Type.Optional(Type.String({ pattern: '^[^:]+:.+$' })),
  // Security (docs/security.md).
  tlsCert: Type.Optional(Type.String({ minLength: 1 })),
  tlsKey: Type.Optional(Type.String({ minLength: 1 })),
  mqttTlsPort: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  sessionTtlS: Type.Integer({ minimum: 60, maximum: 30 * 86_400 }),
  corsOrigins: Type.Array(Type.String({ pattern: '^https?://[^/]+$' })),
  metricsToken: Type.Optional(Type.String({ minLength: 16 })),
  deviceRateLimit: Type.Number({ minimum: 0 }),
  deviceRateBurst: Type.Integer({ minimum: 1 }),
  maxUnprovisionedPerCommunity: Type.Integer({ minimum: 0 }),
  maxUnprovisionedDevices: Type.Integer({ minimum: 0 }),
  httpRateLimit: Type.Integer({ minimum: 1 }),
  loginRateLimit: Type.Integer({ minimum: 1 }),
  // Cluster mode (docs/scaling.md): shared state on PostgreSQL, communities held by lease.
  stateUrl: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  hubId: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,100}$' }),
  hubLeaseTtlMs: Type.Integer({ minimum: 500, maximum: 600_000 }),
});
export type HubConfig = Readonly<Static<typeof ConfigSchema>> & {
  /** HUB_CONFIG's contents, checked against its schema (onvif: included) with this same environment. */
  readonly file: LoadedConfigFile;
};

const NO_CONFIG_FILE: LoadedConfigFile = Object.freeze({ cameraLists: [] });

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  return n;
}

function opt(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

export function loadConfig(env: Env = process.env, overrides: Partial<HubConfig> = {}): HubConfig {
  const candidate = {
    port: int(env, 'PORT', 8080),
    host: opt(env, 'HOST') ?? '127.0.0.1',
    mqttUrl: opt(env, 'MQTT_URL'),
    mqttPort: int(env, 'MQTT_PORT', 1883),
    mqttClientId: opt(env, 'MQTT_CLIENT_ID') ?? 'community-safety-hub',
    mqttUsername: opt(env, 'MQTT_USERNAME'),
    mqttPassword: opt(env, 'MQTT_PASSWORD'),
    mqttCaFile: opt(env, 'MQTT_CA_FILE'),
    mqttSharedGroup: opt(env, 'MQTT_SHARED_GROUP'),
    communities: opt(env, 'HUB_COMMUNITIES')?.split(',').map((c) => c.trim()).filter(Boolean),
    retentionRawDays: int(env, 'RETENTION_RAW_DAYS', 30),
    retention1mDays: int(env, 'RETENTION_1M_DAYS', 180),
    retention1hDays: int(env, 'RETENTION_1H_DAYS', 1825),
    influxUrl: opt(env, 'INFLUX_URL'),
    dataDir: path.resolve(opt(env, 'DATA_DIR') ?? './data'),
    configFile: opt(env, 'HUB_CONFIG'),
    spoolMaxBytes: int(env, 'SPOOL_MAX_BYTES', 2 * 1024 * 1024 * 1024),
    storeBatchSize: int(env, 'STORE_BATCH_SIZE', 5000),
    storeFlushMs: int(env, 'STORE_FLUSH_MS', 20),
    rejectedKept: int(env, 'REJECTED_KEPT', 500),
    dashboardDir: path.resolve(opt(env, 'DASHBOARD_DIR') ?? path.join(repoRoot, 'dashboard', 'dist')),
    logLevel: opt(env, 'LOG_LEVEL') ?? 'info',
    bootstrapAdmin: opt(env, 'HUB_BOOTSTRAP_ADMIN'),
    tlsCert: opt(env, 'TLS_CERT'),
    tlsKey: opt(env, 'TLS_KEY'),
    mqttTlsPort: opt(env, 'MQTT_TLS_PORT') === undefined ? undefined : int(env, 'MQTT_TLS_PORT', 8883),
    sessionTtlS: int(env, 'SESSION_TTL_S', 12 * 3600),
    corsOrigins: (opt(env, 'CORS_ORIGINS') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    metricsToken: opt(env, 'METRICS_TOKEN'),
    deviceRateLimit: Number(opt(env, 'DEVICE_RATE_LIMIT') ?? 50),
    deviceRateBurst: int(env, 'DEVICE_RATE_BURST', 200),
    maxUnprovisionedPerCommunity: int(env, 'MAX_UNPROVISIONED_PER_COMMUNITY', 100_000),
    maxUnprovisionedDevices: int(env, 'MAX_UNPROVISIONED_DEVICES', 500_000),
    httpRateLimit: int(env, 'HTTP_RATE_LIMIT', 1200),
    loginRateLimit: int(env, 'LOGIN_RATE_LIMIT', 30),
    stateUrl: opt(env, 'STATE_URL'),
    hubId: opt(env, 'HUB_ID') ?? `${os.hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 60)}-${opt(env, 'MQTT_CLIENT_ID') ?? 'community-safety-hub'}`,
    hubLeaseTtlMs: int(env, 'HUB_LEASE_TTL_MS', 10_000),
    ...overrides,
  };
  // Drop undefined optionals so the schema check sees them as absent.
  for (const key of Object.keys(candidate) as (keyof typeof candidate)[]) {
    if (candidate[key] === undefined) delete candidate[key];
  }
  if ((candidate.tlsCert === undefined) !== (candidate.tlsKey === undefined)) throw new ConfigError('TLS_CERT and TLS_KEY go together');
  if (candidate.mqttTlsPort !== undefined && candidate.tlsCert === undefined) throw new ConfigError('MQTT_TLS_PORT needs TLS_CERT and TLS_KEY');
  if (candidate.stateUrl !== undefined && !/^postgres(ql)?:\/\//.test(candidate.stateUrl)) throw new ConfigError('STATE_URL must be a postgres:// URL (leave it unset for the embedded SQLite state)');
  if (candidate.stateUrl !== undefined && candidate.communities !== undefined) throw new ConfigError('HUB_COMMUNITIES and STATE_URL do not go together: in cluster mode hubs take communities by lease');
  if (candidate.stateUrl !== undefined && candidate.mqttUrl === undefined) throw new ConfigError('STATE_URL needs MQTT_URL: hubs of a cluster share one external broker (cluster)');
  if (candidate.stateUrl !== undefined && candidate.mqttSharedGroup !== undefined) throw new ConfigError('MQTT_SHARED_GROUP and STATE_URL do not go together: in cluster mode each community has its own session');
  if (!Value.Check(ConfigSchema, candidate)) {
    const err = Value.Errors(ConfigSchema, candidate).First();
    throw new ConfigError(`invalid configuration ${err?.path ?? ''}: ${err?.message ?? 'unknown'}`);
  }
  const checked = candidate as Omit<HubConfig, 'file'> & { file?: LoadedConfigFile };
  const file = checked.file ?? (checked.configFile ? loadHubConfigFile(checked.configFile, env) : NO_CONFIG_FILE);
  return Object.freeze({ ...checked, file });
}

/** The influx URL's last path segment names the database. */
export function parseInfluxUrl(url: string): { host: string; port: number; protocol: 'http' | 'https'; database: string; username?: string; password?: string } {
  const u = new URL(url);
  const database = u.pathname.replace(/^\/+|\/+$/g, '').split('/').pop() || 'hub';
  return {
    host: u.hostname,
    port: Number(u.port || (u.protocol === 'https:' ? 443 : 8086)),
    protocol: u.protocol === 'https:' ? 'https' : 'http',
    database,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
}
