import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every Prometheus series the hub exports, on a registry of its own (tests run several hubs in one process). */
export class HubMetrics {
  readonly registry = new Registry();
  readonly messagesReceived = new Counter({
    name: 'hub_messages_received_total',
    help: 'MQTT messages received from devices, by channel',
    labelNames: ['channel'] as const,
    registers: [this.registry],
  });
  readonly messagesAccepted = new Counter({
    name: 'hub_messages_accepted_total',
    help: 'Valid device messages accepted, by kind and channel',
    labelNames: ['kind', 'channel'] as const,
    registers: [this.registry],
  });
  readonly messagesRejected = new Counter({
    name: 'hub_messages_rejected_total',
    help: 'Device messages rejected, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly pointsStored = new Counter({
    name: 'hub_points_stored_total',
    help: 'Points (telemetry and events) written to the time-series store',
    registers: [this.registry],
  });
  readonly pointsDropped = new Counter({
    name: 'hub_points_dropped_total',
    help: 'Acknowledged points the store refused, one per point, by reason (beyond_retention, type_conflict, store_refused, corrupt_spool)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly storeWriteErrors = new Counter({
    name: 'hub_store_write_errors_total',
    help: 'Failed store writes (the batch stays in the spool and is retried)',
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'hub_store_batch_size',
    help: 'Points per store write',
    buckets: [1, 10, 100, 500, 1000, 2000, 5000, 10000],
    registers: [this.registry],
  });
  readonly storeLatency = new Histogram({
    name: 'hub_store_write_seconds',
    help: 'Duration of one store write',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly ingestToStored = new Histogram({
    name: 'hub_ingest_to_stored_seconds',
    help: 'From receipt at the hub to written in the store',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  readonly deviceToStored = new Histogram({
    name: 'hub_device_to_stored_seconds',
    help: 'From the device timestamp (publish time) to written in the store; includes device clock offset',
    buckets: [0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });
  readonly spoolBytes = new Gauge({
    name: 'hub_spool_pending_bytes',
    help: 'Bytes accepted and spooled but not yet in the store',
    registers: [this.registry],
  });
  readonly devices = new Gauge({
    name: 'hub_devices',
    help: 'Registered devices, by kind and state',
    labelNames: ['kind', 'state'] as const,
    registers: [this.registry],
  });
  readonly mqttConnected = new Gauge({
    name: 'hub_mqtt_connected',
    help: '1 while the hub is connected to its broker',
    registers: [this.registry],
  });
  readonly storeUp = new Gauge({
    name: 'hub_store_up',
    help: '1 while the time-series store accepts writes',
    registers: [this.registry],
  });

  constructor(withProcessMetrics = true) {
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry });
  }
}

/** prom-client hashes the label object on every inc(); the hot path keeps one child per label set. */
export function counterChildren<T extends string>(counter: Counter<T>): (...values: string[]) => Counter.Internal {
  const children = new Map<string, Counter.Internal>();
  return (...values) => {
    const key = values.join('\u0000');
    let child = children.get(key);
    if (!child) children.set(key, (child = counter.labels(...values)));
    return child;
  };
}
