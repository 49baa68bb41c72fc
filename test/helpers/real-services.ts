import { afterAll, beforeAll } from 'vitest';
import type { HubConfig } from '../../server/src/config.ts';
import type { Hub } from '../../server/src/hub.ts';
import { startHub } from './hub.ts';
import { startInflux, startMosquitto, type Service } from './services.ts';

export interface BrokerAndInflux {
  readonly mosquitto: Service;
  readonly influx: Service;
  influxUrl(database: string): string;
  /** A hub on these services writing to its own database (client id `hub-<database>`), stopped after the suite. */
  hub(database: string, overrides?: Partial<HubConfig>): Promise<Hub>;
}

/** A real Mosquitto and InfluxDB for the whole describe block, and the hubs started on them. */
export function useMosquittoAndInflux(): BrokerAndInflux {
  let mosquitto: Service | undefined;
  let influx: Service | undefined;
  const hubs: Hub[] = [];
  beforeAll(async () => {
    [mosquitto, influx] = await Promise.all([startMosquitto(), startInflux()]);
  });
  afterAll(async () => {
    for (const hub of hubs) await hub.stop().catch(() => {});
    await Promise.all([mosquitto?.stop(), influx?.stop()]);
  });
  const env: BrokerAndInflux = {
    get mosquitto() {
      return mosquitto!;
    },
    get influx() {
      return influx!;
    },
    influxUrl: (database) => `http://127.0.0.1:${influx!.port}/${database}`,
    async hub(database, overrides = {}) {
      const hub = await startHub({ mqttUrl: mosquitto!.url, influxUrl: env.influxUrl(database), mqttClientId: `hub-${database}`, ...overrides });
      hubs.push(hub);
      return hub;
    },
  };
  return env;
}
