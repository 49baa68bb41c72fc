import path from 'node:path';
import type { HubConfig } from '../config.ts';
import { InfluxTelemetryStore } from './influx.ts';
import { SqliteTelemetryStore } from './sqlite.ts';
import type { Retention, TelemetryStore } from './types.ts';

/** Which store holds telemetry: plain data, so the writer's worker thread can build the same one. */
export type StoreSpec = { kind: 'sqlite'; file: string } | { kind: 'influx'; url: string };

/** The one place that picks the backend: InfluxDB when INFLUX_URL is set, else SQLite in DATA_DIR. */
export function storeSpec(config: Pick<HubConfig, 'influxUrl' | 'dataDir'>): StoreSpec {
  return config.influxUrl ? { kind: 'influx', url: config.influxUrl } : { kind: 'sqlite', file: path.join(config.dataDir, 'telemetry.db') };
}

/** Builds the store a spec names; no I/O until its start(). */
export function createStore(spec: StoreSpec, retention?: Retention): TelemetryStore {
  return spec.kind === 'influx' ? new InfluxTelemetryStore(spec.url, retention) : new SqliteTelemetryStore(spec.file, retention);
}
