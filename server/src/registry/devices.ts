import type Database from 'better-sqlite3';
import type { DeviceKind, DeviceTopic } from '#devices';
import type { WireDevice } from '#devices/wire.ts';

/** A device as the registry holds it and the API sends it (devices/src/wire.ts). */
export type Device = WireDevice;

export interface DeviceFilter {
  kind?: DeviceKind;
  communityId?: string;
  gridCellId?: string;
  online?: boolean;
  q?: string;
}

export type ProvisionInput = Pick<Device, 'id' | 'kind' | 'communityId'> &
  Partial<Pick<Device, 'gridCellId' | 'buildingId' | 'floor' | 'name' | 'location'>>;

interface Row {
  id: string;
  kind: DeviceKind;
  community_id: string;
  grid_cell_id: string | null;
  building_id: string | null;
  floor: number | null;
  name: string | null;
  location: string | null;
  provisioned: number;
  online: number;
  last_seen_at: number | null;
  first_seen_at: number;
}

/** How many devices may register themselves (unprovisioned, on their first message). */
export interface UnprovisionedLimits {
  perCommunity: number;
  total: number;
}

export const DEFAULT_UNPROVISIONED_LIMITS: UnprovisionedLimits = { perCommunity: 100_000, total: 500_000 };

/** Rows written per slice of a background flush: a slice blocks the event loop for about a millisecond. */
const FLUSH_SLICE_ROWS = 200;
/** Last-seen times are persisted at this cadence; the live value is in memory. */
const SEEN_FLUSH_MS = 60_000;

/**
 * The device registry. Held in memory (every message touches it) and written behind to SQLite,
 * so ingest never waits on a per-message write. The background flush goes in small slices
 * between other work, so a burst of changed devices never stalls alert handling.
 */
export class DeviceRegistry {
  private readonly devices = new Map<string, Device>();
  /** Unprovisioned devices per community, and in all. */
  private readonly unprovisioned = new Map<string, number>();
  private unprovisionedTotal = 0;
  /** Devices whose row must be rewritten. */
  private readonly dirty = new Set<string>();
  /** Devices whose only change is the last-seen time. */
  private readonly seen = new Set<string>();
  private lastSeenFlush = Date.now();
  private draining = false;
  /** Why the last background write failed (e.g. a full disk), while it does. */
  writeError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Prepared once: a background flush runs them slice after slice. */
  private readonly statements: { upsert: Database.Statement; updateSeen: Database.Statement };

  constructor(
    private readonly db: Database.Database,
    private readonly flushMs = 1000,
    private readonly limits: UnprovisionedLimits = DEFAULT_UNPROVISIONED_LIMITS,
  ) {
    this.statements = {
      upsert: db.prepare(`INSERT OR REPLACE INTO devices
        (id, kind, community_id, grid_cell_id, building_id, floor, name, location, provisioned, online, last_seen_at, first_seen_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      updateSeen: db.prepare('UPDATE devices SET last_seen_at = ? WHERE id = ?'),
    };
  }

  start(): void {
    for (const row of this.db.prepare('SELECT * FROM devices').all() as Row[]) {
      this.devices.set(row.id, {
        id: row.id,
        kind: row.kind,
        communityId: row.community_id,
        gridCellId: row.grid_cell_id,
        buildingId: row.building_id,
        floor: row.floor,
        name: row.name?.startsWith('{') ? (JSON.parse(row.name) as Device['name']) : row.name,
        location: row.location ? (JSON.parse(row.location) as Device['location']) : null,
        provisioned: row.provisioned === 1,
        online: row.online === 1,
        lastSeenAt: row.last_seen_at,
        firstSeenAt: row.first_seen_at,
      });
      if (row.provisioned !== 1) this.countUnprovisioned(row.community_id, 1);
    }
    this.timer = setInterval(() => this.drainInSlices(), this.flushMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }

  get size(): number {
    return this.devices.size;
  }

  get(id: string): Device | undefined {
    return this.devices.get(id);
  }

  all(): IterableIterator<Device> {
    return this.devices.values();
  }

  list(filter: DeviceFilter = {}): Device[] {
    const q = filter.q?.toLowerCase();
    const out: Device[] = [];
    for (const d of this.devices.values()) {
      if (filter.kind && d.kind !== filter.kind) continue;
      if (filter.communityId && d.communityId !== filter.communityId) continue;
      if (filter.gridCellId && d.gridCellId !== filter.gridCellId) continue;
      if (filter.online !== undefined && d.online !== filter.online) continue;
      if (q && !d.id.toLowerCase().includes(q) && !nameText(d.name).toLowerCase().includes(q)) continue;
      out.push(d);
    }
    return out;
  }

  /**
   * Whether a device the registry does not know may register itself in this community. A gateway
   * speaks for any id of its communities (a `*` one invents communities too): without a bound, a
   * loop over fresh ids grows this map, and every per-device map behind it, until memory runs out.
   */
  canRegister(communityId: string): boolean {
    return this.unprovisionedTotal < this.limits.total && (this.unprovisioned.get(communityId) ?? 0) < this.limits.perCommunity;
  }

  /**
   * The device a topic speaks for. Unknown devices are registered (unprovisioned) while
   * canRegister allows ('full' otherwise); a topic that contradicts a known device's kind or
   * community is refused ('mismatch').
   */
  resolve(topic: DeviceTopic, now: number): Device | 'mismatch' | 'full' {
    const known = this.devices.get(topic.deviceId);
    if (known) {
      if (known.kind !== topic.kind || known.communityId !== topic.communityId) return 'mismatch';
      return known;
    }
    if (!this.canRegister(topic.communityId)) return 'full';
    const device: Device = {
      id: topic.deviceId,
      kind: topic.kind,
      communityId: topic.communityId,
      gridCellId: null,
      buildingId: null,
      floor: null,
      name: null,
      location: null,
      provisioned: false,
      online: true,
      lastSeenAt: now,
      firstSeenAt: now,
    };
    this.devices.set(device.id, device);
    this.countUnprovisioned(device.communityId, 1);
    this.dirty.add(device.id);
    return device;
  }

  private countUnprovisioned(communityId: string, delta: 1 | -1): void {
    const n = (this.unprovisioned.get(communityId) ?? 0) + delta;
    if (n > 0) this.unprovisioned.set(communityId, n);
    else this.unprovisioned.delete(communityId);
    this.unprovisionedTotal += delta;
  }

  touch(device: Device, now: number): void {
    device.lastSeenAt = now;
    this.seen.add(device.id);
  }

  /** Returns true when the state changed. */
  setOnline(device: Device, online: boolean): boolean {
    if (device.online === online) return false;
    device.online = online;
    this.dirty.add(device.id);
    return true;
  }

  provision(input: ProvisionInput, now = Date.now()): Device {
    const existing = this.devices.get(input.id);
    const device: Device = {
      id: input.id,
      kind: input.kind,
      communityId: input.communityId,
      gridCellId: input.gridCellId ?? null,
      buildingId: input.buildingId ?? null,
      floor: input.floor ?? null,
      name: input.name ?? null,
      location: input.location ?? null,
      provisioned: true,
      online: existing?.online ?? false,
      lastSeenAt: existing?.lastSeenAt ?? null,
      firstSeenAt: existing?.firstSeenAt ?? now,
    };
    if (existing && !existing.provisioned) this.countUnprovisioned(existing.communityId, -1);
    this.devices.set(device.id, device);
    this.dirty.add(device.id);
    return device;
  }

  /** Writes every pending change now (at stop, and after provisioning). */
  flush(): void {
    while (this.writeSlice(Infinity, true)) {
      // until nothing is pending
    }
  }

  private drainInSlices(): void {
    if (this.draining) return;
    const seenDue = Date.now() - this.lastSeenFlush >= SEEN_FLUSH_MS;
    if (seenDue) this.lastSeenFlush = Date.now();
    const step = () => {
      let more: boolean;
      try {
        more = this.writeSlice(FLUSH_SLICE_ROWS, seenDue);
      } catch (err) {
        // A full disk (SQLITE_FULL) must not take the hub down: the rows stay pending for the next tick.
        this.draining = false;
        this.writeError = (err as Error).message;
        return;
      }
      this.writeError = undefined;
      if (more) setImmediate(step);
      else this.draining = false;
    };
    this.draining = true;
    step();
  }

  /** Writes up to `rows` pending rows in one transaction; returns whether more are pending. */
  private writeSlice(rows: number, includeSeen: boolean): boolean {
    const full = take(this.dirty, rows);
    for (const id of full) this.seen.delete(id); // the full row carries the last-seen time too
    const seenOnly = includeSeen ? take(this.seen, rows - full.length) : [];
    if (full.length === 0 && seenOnly.length === 0) return false;
    try {
      this.writeRows(full, seenOnly);
    } catch (err) {
      for (const id of full) this.dirty.add(id);
      for (const id of seenOnly) this.seen.add(id);
      throw err;
    }
    return this.dirty.size > 0 || (includeSeen && this.seen.size > 0);
  }

  private writeRows(full: string[], seenOnly: string[]): void {
    const { upsert, updateSeen } = this.statements;
    this.db.transaction(() => {
      for (const id of full) {
        const d = this.devices.get(id);
        if (!d) continue;
        upsert.run(d.id, d.kind, d.communityId, d.gridCellId, d.buildingId, d.floor, d.name && typeof d.name === 'object' ? JSON.stringify(d.name) : d.name,
          d.location ? JSON.stringify(d.location) : null, d.provisioned ? 1 : 0, d.online ? 1 : 0, d.lastSeenAt, d.firstSeenAt);
      }
      for (const id of seenOnly) {
        const d = this.devices.get(id);
        if (d) updateSeen.run(d.lastSeenAt, id);
      }
    })();
  }
}

/** Removes and returns up to `n` members of a set. */
function take(set: Set<string>, n: number): string[] {
  const out: string[] = [];
  for (const id of set) {
    if (out.length >= n) break;
    out.push(id);
    set.delete(id);
  }
  return out;
}

function nameText(name: Device['name']): string {
  return name === null ? '' : typeof name === 'string' ? name : `${name.zh} ${name.en}`;
}
