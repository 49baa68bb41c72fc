import { OnvifBridge } from '#devices/onvif/index.ts';
import type { AlertChange } from '../alerts/changes.ts';
import type { AlertService } from '../alerts/service.ts';
import type { Logger } from '../log.ts';
import type { CameraList } from '../grid/config-file.ts';
import type { DeviceRegistry } from '../registry/devices.ts';
import type { SnapshotStore } from './snapshot-store.ts';

/** A live snapshot younger than this is served again instead of asking the camera. */
const LIVE_REUSE_MS = 2000;

export interface CameraServiceOptions {
  /** The config file's `onvif:` lists, parsed and checked at config loading: one per community. */
  lists: readonly CameraList[];
  mqttUrl: string;
  mqttUsername?: string;
  mqttPassword?: string;
  mqttCa?: Buffer;
  clientIdPrefix: string;
  alerts: AlertService;
  registry: DeviceRegistry;
  snapshots: SnapshotStore;
  log: Logger;
  /** Most cameras asked for a snapshot per alert. */
  maxSnapshotsPerAlert?: number;
  pollIntervalMs?: number;
}

/**
 * The ONVIF bridge inside the hub: one bridge per community's camera list, publishing camera
 * health and events over MQTT like any device, and snapshots from the covering cameras attached
 * to every critical alert.
 */
export class CameraService {
  private readonly bridges = new Map<string, OnvifBridge>();
  private unsubscribe: (() => void) | undefined;
  /** The last live picture per camera: a wall of screens clicking at once asks the camera once. */
  private readonly recent = new Map<string, { at: number; jpeg: Promise<Buffer> }>();

  constructor(private readonly o: CameraServiceOptions) {}

  get cameraCount(): number {
    let n = 0;
    for (const b of this.bridges.values()) n += b.listCameras().length;
    return n;
  }

  async start(): Promise<void> {
    for (const list of this.o.lists) {
      const communityId = list.communityId;
      const pollIntervalMs = list.pollIntervalMs ?? this.o.pollIntervalMs;
      const bridge = new OnvifBridge({
        communityId,
        cameras: list.cameras,
        ...(list.discovery ? { discovery: list.discovery } : {}),
        mqtt: this.o.mqttUrl,
        mqttOptions: {
          clientId: `${this.o.clientIdPrefix}-onvif-${communityId}`,
          ...(this.o.mqttUsername ? { username: this.o.mqttUsername } : {}),
          ...(this.o.mqttPassword ? { password: this.o.mqttPassword } : {}),
          ...(this.o.mqttCa ? { ca: this.o.mqttCa } : {}),
        },
        ...(pollIntervalMs ? { pollIntervalMs } : {}),
        logger: this.o.log.child({ community: communityId }),
      });
      this.bridges.set(communityId, bridge);
      await bridge.start();
    }
    this.unsubscribe = this.o.alerts.onChange((change) => this.onAlertChange(change));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await Promise.all([...this.bridges.values()].map((b) => b.stop()));
  }

  private onAlertChange(change: AlertChange): void {
    switch (change.type) {
      case 'opened': {
        const { alert } = change;
        if (alert.severity === 'critical') void this.attachSnapshots(alert.id, alert.communityId, alert.deviceId);
        return;
      }
      default:
        return;
    }
  }

  /**
   * A live picture from the first camera covering a device (configured coverage, else its building,
   * else its cell), for the plan's one-click view; undefined when no camera covers it. Throws the
   * bridge's CameraError when the camera cannot give one.
   */
  async liveSnapshot(deviceId: string): Promise<{ cameraId: string; jpeg: Buffer } | undefined> {
    const device = this.o.registry.get(deviceId);
    if (!device) return undefined;
    const bridge = this.bridges.get(device.communityId);
    if (!bridge) return undefined;
    const cameraId = bridge.camerasCovering({ deviceId, ...(device.buildingId ? { buildingId: device.buildingId } : {}), ...(device.gridCellId ? { gridCellId: device.gridCellId } : {}) })[0];
    if (!cameraId) return undefined;
    const now = Date.now();
    let hit = this.recent.get(cameraId);
    if (!hit || now - hit.at > LIVE_REUSE_MS) {
      hit = { at: now, jpeg: bridge.fetchSnapshot(cameraId) };
      this.recent.set(cameraId, hit);
      // a failure is not reused: the next click asks the camera again
      hit.jpeg.catch(() => this.recent.delete(cameraId));
    }
    return { cameraId, jpeg: await hit.jpeg };
  }

  /** Asks the covering cameras (configured coverage, else same building, else same cell) for snapshots. */
  async attachSnapshots(alertId: string, communityId: string, deviceId: string): Promise<number> {
    const bridge = this.bridges.get(communityId);
    if (!bridge) return 0;
    const device = this.o.registry.get(deviceId);
    const cameras = bridge
      .camerasCovering({ deviceId, ...(device?.buildingId ? { buildingId: device.buildingId } : {}), ...(device?.gridCellId ? { gridCellId: device.gridCellId } : {}) })
      .slice(0, this.o.maxSnapshotsPerAlert ?? 3);
    let attached = 0;
    await Promise.all(
      cameras.map(async (cameraId) => {
        try {
          const jpeg = await bridge.fetchSnapshot(cameraId);
          const file = this.o.snapshots.save(alertId, cameraId, jpeg);
          this.o.alerts.attachSnapshot(alertId, { url: `/api/alerts/${alertId}/snapshots/${file}`, cameraId, takenAt: Date.now() }, jpeg.length);
          attached++;
        } catch (err) {
          this.o.log.warn({ alertId, cameraId, err: (err as Error).message }, 'snapshot for an alert failed');
        }
      }),
    );
    return attached;
  }
}
