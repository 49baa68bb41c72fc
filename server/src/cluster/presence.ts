import type { EventBus } from '../events.ts';
import type { Logger } from '../log.ts';
import type { DeviceRegistry } from '../registry/devices.ts';
import type { PgSql } from '../state/pg/connect.ts';
import { fenced, LeaseLost } from './leases.ts';

/** `{"deviceId","communityId","online","at","hub"}`: a device went online or offline on its community's holder. */
export const DEVICE_PRESENCE_CHANNEL = 'hub_device_presence';

interface PresenceNotice {
  deviceId: string;
  communityId: string;
  online: boolean;
  at: number;
  hub: string;
}

export interface DevicePresenceDeps {
  sql: PgSql;
  hubId: string;
  bus: EventBus;
  registry: DeviceRegistry;
  /** The epoch this hub acts under for the community (held and resumed), else undefined. */
  epochOf: (community: string) => number | undefined;
  log: Logger;
}

/**
 * Device online state across hubs: only a community's holder hears its devices (status, last
 * will, silence), so it writes every change of a device's online state to `device_presence`,
 * fenced by the lease, with a notice; every other hub applies it to its own registry and emits
 * it on its bus as the holder did (its dashboards hear `{type:"device"}`; its rule engine opens
 * nothing for a community it does not hold). After a (re)connect the table is read whole, for
 * the notices missed meanwhile.
 */
export class DevicePresence {
  private listening: { unlisten(): Promise<void> } | undefined;
  private off: (() => void) | undefined;
  /** Changes of other hubs' devices applied here (tests). */
  applied = 0;

  constructor(private readonly d: DevicePresenceDeps) {}

  async start(): Promise<void> {
    this.off = this.d.bus.on('deviceState', ({ deviceId, online, at }) => void this.write(deviceId, online, at));
    this.listening = await this.d.sql.listen(
      DEVICE_PRESENCE_CHANNEL,
      (payload) => {
        const n = parse(payload);
        if (n && n.hub !== this.d.hubId) this.apply(n);
      },
      () => void this.reload(),
    );
  }

  async stop(): Promise<void> {
    this.off?.();
    await this.listening?.unlisten().catch(() => {});
  }

  /** The holder's side: a device of a community held here changed. */
  private async write(deviceId: string, online: boolean, at: number): Promise<void> {
    const device = this.d.registry.get(deviceId);
    const epoch = device && this.d.epochOf(device.communityId);
    if (!device || epoch === undefined) return;
    const { sql, hubId } = this.d;
    const notice: PresenceNotice = { deviceId, communityId: device.communityId, online, at, hub: hubId };
    try {
      await sql.begin(async (tx) => {
        await fenced(tx, hubId, device.communityId, epoch);
        // Writes may commit out of order: an older change never replaces a newer one.
        const written = await tx`INSERT INTO device_presence (device_id, community_id, online, at, hub) VALUES (${deviceId}, ${device.communityId}, ${online}, ${at}, ${hubId})
          ON CONFLICT (device_id) DO UPDATE SET community_id = excluded.community_id, online = excluded.online, at = excluded.at, hub = excluded.hub
          WHERE device_presence.at <= excluded.at RETURNING 1`;
        if (written.length) await tx`SELECT pg_notify(${DEVICE_PRESENCE_CHANNEL}, ${JSON.stringify(notice)})`;
      });
    } catch (err) {
      if (!(err instanceof LeaseLost)) this.d.log.warn({ err, deviceId }, 'writing a device\'s online state to PostgreSQL failed');
    }
  }

  /** Another hub's device changed: this hub's registry follows, unless it holds the community itself. */
  private apply(n: PresenceNotice): void {
    if (this.d.epochOf(n.communityId) !== undefined) return;
    const device = this.d.registry.get(n.deviceId);
    if (!device || !this.d.registry.setOnline(device, n.online)) return;
    this.applied++;
    this.d.bus.emit('deviceState', { deviceId: n.deviceId, online: n.online, at: n.at });
  }

  private async reload(): Promise<void> {
    try {
      const rows = await this.d.sql<{ device_id: string; community_id: string; online: boolean; at: number; hub: string }[]>`SELECT device_id, community_id, online, at, hub FROM device_presence`;
      for (const r of rows) this.apply({ deviceId: r.device_id, communityId: r.community_id, online: r.online, at: r.at, hub: r.hub });
    } catch (err) {
      this.d.log.warn({ err }, 'reading the devices\' online state from PostgreSQL failed');
    }
  }
}

function parse(payload: string): PresenceNotice | undefined {
  try {
    const v = JSON.parse(payload) as Partial<PresenceNotice>;
    return typeof v.deviceId === 'string' && typeof v.communityId === 'string' && typeof v.online === 'boolean' && typeof v.at === 'number' && typeof v.hub === 'string' ? (v as PresenceNotice) : undefined;
  } catch {
    return undefined;
  }
}
