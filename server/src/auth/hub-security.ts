import fs from 'node:fs';
import type Database from 'better-sqlite3';
import type { HubConfig } from '../config.ts';
import type { GridModel } from '../grid/model.ts';
import type { Logger } from '../log.ts';
import type { HubMetrics } from '../metrics.ts';
import type { DeviceRegistry } from '../registry/devices.ts';
import type { EmbeddedBrokerOptions } from '../ingest/broker.ts';
import type { HttpSecurityOptions } from '../http/plugins/security.ts';
import { brokerAuthHooks, hubClientIds } from './broker-auth.ts';
import { loadOrCreateHubCredential } from './hub-credential.ts';
import { exportedCredentials, mosquittoFiles, type MosquittoFiles } from './mosquitto-files.ts';
import { MqttAcl } from './mqtt-acl.ts';
import { MqttCredentialRepository } from './mqtt-credentials.ts';
import { AuthService, type AuthStores } from './service.ts';

export interface HubSecurityDeps {
  config: HubConfig;
  db: Database.Database;
  grid: GridModel;
  registry: DeviceRegistry;
  metrics: HubMetrics;
  log: Logger;
  clock?: () => number;
  /** The auth state on a shared store (STATE_URL); absent: SQLite in `db`. */
  authStores?: AuthStores;
}

/**
 * Everything security the hub wires in, built from the config in one place: accounts and
 * sessions, MQTT credentials and ACL (with the broker hooks), the hub's own MQTT login,
 * the HTTP protection settings and the TLS material.
 */
export class HubSecurity {
  readonly auth: AuthService;
  readonly credentials: MqttCredentialRepository;
  readonly acl: MqttAcl;
  readonly http: HttpSecurityOptions;
  readonly tls: { cert: Buffer; key: Buffer } | undefined;
  private hubCredential: { username: string; password: string } | undefined;

  constructor(private readonly d: HubSecurityDeps) {
    const { config } = d;
    this.credentials = new MqttCredentialRepository(d.db, d.clock);
    this.acl = new MqttAcl(d.registry);
    this.auth = new AuthService({ db: d.db, grid: d.grid, log: d.log.child({ component: 'auth' }), sessionTtlMs: config.sessionTtlS * 1000, metricsRegistry: d.metrics.registry, ...(d.clock ? { clock: d.clock } : {}), ...(d.authStores ? { stores: d.authStores } : {}) });
    this.tls = config.tlsCert && config.tlsKey ? { cert: fs.readFileSync(config.tlsCert), key: fs.readFileSync(config.tlsKey) } : undefined;
    this.http = {
      corsOrigins: config.corsOrigins,
      rateLimitPerMinute: config.httpRateLimit,
      loginRateLimitPerMinute: config.loginRateLimit,
      tls: this.tls !== undefined,
      metricsToken: config.metricsToken,
      sessionTtlMs: config.sessionTtlS * 1000,
    };
  }

  async start(): Promise<void> {
    await this.auth.start(this.d.config.bootstrapAdmin);
  }

  async stop(): Promise<void> {
    await this.auth.stop();
  }

  /** The embedded broker's auth hooks and optional TLS listener. */
  brokerOptions(): Pick<EmbeddedBrokerOptions, 'hooks' | 'tls' | 'metrics' | 'log'> {
    return {
      hooks: brokerAuthHooks({
        credentials: this.credentials,
        acl: this.acl,
        metrics: this.d.metrics,
        log: this.d.log.child({ component: 'mqtt-auth' }),
        reservedClientId: hubClientIds(this.d.config.mqttClientId),
      }),
      metrics: this.d.metrics,
      log: this.d.log.child({ component: 'mqtt-guard' }),
      ...(this.tls && this.d.config.mqttTlsPort !== undefined ? { tls: { port: this.d.config.mqttTlsPort, ...this.tls } } : {}),
    };
  }

  /**
   * The hub's own MQTT login: MQTT_USERNAME / MQTT_PASSWORD for an external broker when given,
   * otherwise the credential generated at first start and kept in DATA_DIR.
   */
  hubMqttLogin(): { username: string; password: string } {
    const { config } = this.d;
    if (config.mqttUrl && config.mqttUsername) return { username: config.mqttUsername, password: config.mqttPassword ?? '' };
    this.hubCredential ??= loadOrCreateHubCredential(config.dataDir, this.credentials);
    return this.hubCredential;
  }

  mosquittoFiles(): MosquittoFiles {
    return mosquittoFiles(exportedCredentials(this.credentials, this.d.config), this.acl, this.d.registry, { reservedClientId: hubClientIds(this.d.config.mqttClientId) });
  }
}
