import type { HubMetrics } from '../metrics.ts';
import type { DeviceRegistry } from '../registry/devices.ts';
import type { RejectLog } from '../ingest/rejects.ts';
import type { TelemetryStore } from '../store/types.ts';
import type { FastifyRequest } from 'fastify';
import type { Alert } from '#devices';
import type { AlertService } from '../alerts/service.ts';
import type { GridModel } from '../grid/model.ts';
import type { LiveHub, LiveScope } from '../notify/live.ts';
import type { Device, ProvisionInput } from '../registry/devices.ts';
import type { AuthService } from '../auth/service.ts';
import type { MqttCredentialRepository } from '../auth/mqtt-credentials.ts';
import type { MosquittoFiles } from '../auth/mosquitto-files.ts';
import type { CallerScope } from '../scope/caller-scope.ts';
import type { AlertReads } from '../scope/alert-reads.ts';

/** What the HTTP routes may see of the hub: read models and commands, no clients or sockets. */
export interface HubContext {
  registry: DeviceRegistry;
  store: TelemetryStore;
  rejects: RejectLog;
  metrics: HubMetrics;
  alerts: AlertService;
  grid: GridModel;
  live: LiveHub;
  health(): Promise<HealthReport>;
  /** The hub's clock ("today" for key figures); Date.now when the hub gives none. */
  clock?: () => number;
  /** Who is acting (for history and audit). */
  actor(req: FastifyRequest): string;
  /** What the requester may see and do (scope/caller-scope.ts). */
  scope(req: FastifyRequest): CallerScope;
  canSeeAlert(req: FastifyRequest, alert: Alert): boolean;
  canSeeDevice(req: FastifyRequest, device: Device): boolean;
  /** The alert the requester may act on (read where `alertReads` reads); 403/404 otherwise. */
  authorizeAlertAction(req: FastifyRequest, alertId: string): Promise<Alert>;
  liveScope(req: FastifyRequest): LiveScope;
  /** Accounts, sessions, audit log. */
  auth: AuthService;
  /** MQTT credentials of devices, gateways and the hub. */
  credentials: MqttCredentialRepository;
  /** Registers (or updates) a device in the registry, written through at once. */
  provisionDevice(input: ProvisionInput): Device;
  /** The broker policy as Mosquitto password_file and acl_file. */
  mosquittoFiles(): MosquittoFiles;
  /** Where alert lists and reads come from when not `alerts` (STATE_URL: the shared alerts table). */
  alertReads?: AlertReads;
  /** Cluster mode: alert commands, run by the holder of the alert's community. */
  alertCommands?: Pick<import('../cluster/commands.ts').AlertCommands, 'run'>;
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'starting';
  mqtt: { connected: boolean; url: string; embedded: boolean };
  store: { name: string; up: boolean; location: string; lastError?: string };
  /** `full`: telemetry is held (only the events' reserve is left, or the disk refuses); `eventsFull`: the reserve is used up too. */
  spool: { pendingBytes: number; full: boolean; eventsFull: boolean; reason?: 'budget' | 'disk_full' | 'io_error'; lastError?: string };
  devices: number;
  uptimeS: number;
  /** delivery to people, per channel (docs/delivery.md); a failing channel does not make the hub degraded */
  delivery?: Record<string, import('../notify/people/outbox.ts').ChannelHealth>;
}
