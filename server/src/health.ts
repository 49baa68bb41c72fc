import type { HealthReport } from './http/context.ts';
import type { MqttAdapter } from './ingest/mqtt.ts';
import type { HubMetrics } from './metrics.ts';
import type { DeviceRegistry } from './registry/devices.ts';
import type { Journal } from './spool/journal.ts';
import type { TelemetryStore } from './store/types.ts';
import type { StoreWriterHost } from './store/writer-host.ts';

export interface HealthSources {
  store: TelemetryStore;
  writer: StoreWriterHost;
  journal: Journal;
  registry: DeviceRegistry;
  metrics: HubMetrics;
  embeddedBroker: boolean;
  mqttUrl: () => string;
  /** Undefined until the hub's MQTT connection exists. */
  mqtt: () => MqttAdapter | undefined;
  /** True once every part has started: before that the report says `starting`. */
  started: () => boolean;
  /** delivery to people, per channel */
  delivery?: () => HealthReport['delivery'];
}

/** What /healthz reports: `ok` only when MQTT and the store are up and the disk takes writes. */
export class Health {
  private readonly startedAt = Date.now();

  constructor(private readonly s: HealthSources) {}

  async report(): Promise<HealthReport> {
    const { store, writer, journal } = this.s;
    const storeUp = writer.storeUp && (await store.ping());
    const mqttUp = this.s.mqtt()?.connected ?? false;
    const pendingBytes = journal.pendingBytes();
    this.s.metrics.spoolBytes.set(pendingBytes);
    const diskRefuses = journal.holding;
    return {
      status: !this.s.started() ? 'starting' : mqttUp && storeUp && !diskRefuses ? 'ok' : 'degraded',
      mqtt: { connected: mqttUp, url: this.s.mqttUrl(), embedded: this.s.embeddedBroker },
      store: {
        name: store.name,
        up: storeUp,
        location: store.location,
        ...(writer.lastError ? { lastError: writer.lastError } : {}),
      },
      spool: { pendingBytes, full: journal.telemetryFull, eventsFull: journal.full, ...this.spoolHold() },
      devices: this.s.registry.size,
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      ...(this.s.delivery ? { delivery: this.s.delivery() } : {}),
    };
  }

  private spoolHold(): Pick<HealthReport['spool'], 'reason' | 'lastError'> {
    const reason = this.s.journal.holdReason();
    const lastError = this.s.journal.lastWriteError;
    return { ...(reason ? { reason } : {}), ...(lastError ? { lastError } : {}) };
  }
}
