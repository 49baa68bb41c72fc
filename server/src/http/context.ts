import type { HubMetrics } from '../metrics.ts';
import type { DeviceRegistry } from '../registry/devices.ts';
import type { RejectLog } from '../ingest/rejects.ts';
import type { TelemetryStore } from '../store/types.ts';

/** What the HTTP routes may see of the hub: read models and commands, no clients or sockets. */
export interface HubContext {
  registry: DeviceRegistry;
  store: TelemetryStore;
  rejects: RejectLog;
  metrics: HubMetrics;
  health(): Promise<HealthReport>;
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'starting';
  mqtt: { connected: boolean; url: string; embedded: boolean };
  store: { name: string; up: boolean; location: string; lastError?: string };
  spool: { pendingBytes: number; full: boolean };
  devices: number;
  uptimeS: number;
}
