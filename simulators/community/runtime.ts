import { KINDS, deviceTopic, kindSpecs, type DeviceKind } from '#devices';
import type { ScenarioClock } from './clock.ts';
import type { Link, LinkFactory, LinkStats } from './links.ts';
import type { District, SimDeviceSpec } from './model.ts';
import { initialState, routineReport, type DeviceState } from './telemetry.ts';

type Body = Record<string, unknown>;

export interface RuntimeOptions {
  district: District;
  links: LinkFactory;
  clock: ScenarioClock;
  /** Seeds every device's readings; defaults to the district's seed. */
  seed?: number;
  /** Shared MQTT connections per community (a few, not one per device: 50,000 sockets would swamp a small box). */
  connectionsPerCommunity?: number;
  /** Devices on their own connection with a last will, so a scripted outage is a real one. */
  dedicated?: Iterable<string>;
  /** QoS of periodic telemetry; events and status always go at QoS 1. */
  telemetryQos?: 0 | 1;
  /** Periodic telemetry and everyday events; off leaves only status and scripted messages. */
  routine?: boolean;
  /** Unacknowledged publishes per connection past which routine reports are skipped, not queued. */
  maxInflight?: number;
  clientIdPrefix?: string;
  onProgress?: (line: string) => void;
  /** Every message published, in order (tests record runs with it). */
  onPublish?: (topic: string, payload: string, source: 'status' | 'routine' | 'scenario') => void;
}

interface RunDevice {
  spec: SimDeviceSpec;
  state: DeviceState;
  shared: Link;
  own: Link | undefined;
  offline: boolean;
  overrides: Body | undefined;
}

export interface RuntimeStats extends LinkStats {
  devices: number;
  connections: number;
  /** Routine reports dropped because the broker fell behind. */
  skipped: number;
}

/**
 * Runs every device of a district: retained `online` status at start, periodic telemetry at each
 * kind's reporting period (sped up by the time scale) with everyday events, and the primitives
 * a scenario drives (one-off readings, sticky readings, events, outages).
 */
export class CommunityRuntime {
  private readonly devices = new Map<string, RunDevice>();
  private readonly groups = new Map<DeviceKind, { list: RunDevice[]; emitted: number }>();
  private readonly links: Link[] = [];
  private readonly stats: LinkStats = { sent: 0, acked: 0, errors: 0 };
  private skipped = 0;
  private timer: NodeJS.Timeout | undefined;
  private tickStart = 0;
  private readonly maxInflight: number;
  private readonly telemetryQos: 0 | 1;
  private readonly dedicated: Set<string>;

  constructor(private readonly o: RuntimeOptions) {
    this.maxInflight = o.maxInflight ?? 5000;
    this.telemetryQos = o.telemetryQos ?? 1;
    this.dedicated = new Set(o.dedicated ?? []);
  }

  get clock(): ScenarioClock {
    return this.o.clock;
  }

  device(id: string): SimDeviceSpec | undefined {
    return this.devices.get(id)?.spec;
  }

  summary(): RuntimeStats {
    return { ...this.stats, skipped: this.skipped, devices: this.devices.size, connections: this.links.length };
  }

  async start(): Promise<void> {
    const o = this.o;
    const seed = o.seed ?? o.district.seed;
    const perCommunity = Math.max(1, o.connectionsPerCommunity ?? 2);
    const prefix = `${o.clientIdPrefix ?? 'community-sim'}-${process.pid}`;
    const shared = new Map<string, Link[]>();
    await inBatches(o.district.communities, 16, async (c) => {
      const list: Link[] = [];
      for (let i = 0; i < perCommunity; i++) list.push(await o.links(`${prefix}-${c.id}-${i}`, undefined, this.stats, c.id));
      shared.set(c.id, list);
      this.links.push(...list);
    });
    o.onProgress?.(`connected ${this.links.length} shared MQTT connections`);
    o.district.devices.forEach((spec, index) => {
      const pool = shared.get(spec.communityId);
      if (!pool) throw new Error(`device ${spec.id}: community ${spec.communityId} is not in the district`);
      const d: RunDevice = { spec, state: initialState(spec, seed, index), shared: pool[index % pool.length]!, own: undefined, offline: false, overrides: undefined };
      this.devices.set(spec.id, d);
    });
    for (const id of this.dedicated) {
      const d = this.devices.get(id);
      if (!d) throw new Error(`dedicated device ${id} is not in the district`);
      d.own = await this.ownLink(d);
    }
    await this.announce();
    for (const kind of KINDS) this.groups.set(kind, { list: [], emitted: 0 });
    for (const d of this.devices.values()) this.groups.get(d.spec.kind)!.list.push(d);
    if (o.routine ?? true) {
      this.tickStart = Date.now();
      this.timer = setInterval(() => this.tick(), 100);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const all = [...this.links, ...[...this.devices.values()].flatMap((d) => (d.own ? [d.own] : []))];
    await Promise.all(all.map((l) => l.close()));
  }

  /** A reading published once, outside the periodic schedule. */
  telemetry(id: string, fields: Body): void {
    const d = this.need(id);
    this.send(d, 'telemetry', { ...fields }, 1, 'scenario');
  }

  /** Readings that stay until unset: published now and folded into every later report. */
  set(id: string, fields: Body): void {
    const d = this.need(id);
    d.overrides = { ...d.overrides, ...fields };
    this.send(d, 'telemetry', { ...fields }, 1, 'scenario');
  }

  unset(id: string, fields?: readonly string[]): void {
    const d = this.need(id);
    if (!d.overrides) return;
    if (!fields) d.overrides = undefined;
    else for (const f of fields) delete d.overrides[f];
  }

  event(id: string, body: Body): void {
    this.send(this.need(id), 'event', { ...body }, 1, 'scenario');
  }

  /** The device drops off the network: its socket dies (the broker fires its last will) or, without one, it says so. */
  offline(id: string): void {
    const d = this.need(id);
    d.offline = true;
    if (d.own) {
      d.own.sever();
      d.own = undefined;
    } else {
      this.publish(d.shared, deviceTopic({ communityId: d.spec.communityId, kind: d.spec.kind, deviceId: d.spec.id, channel: 'status' }), 'offline', { qos: 1, retain: true }, 'scenario');
    }
  }

  async online(id: string): Promise<void> {
    const d = this.need(id);
    if (!d.offline) return;
    if (d.own === undefined && this.dedicated.has(id)) d.own = await this.ownLink(d);
    const link = d.own ?? d.shared;
    this.publish(link, deviceTopic({ communityId: d.spec.communityId, kind: d.spec.kind, deviceId: d.spec.id, channel: 'status' }), 'online', { qos: 1, retain: true }, 'scenario');
    d.offline = false;
    // Its first reading after the outage is a routine one (values depend on its schedule, not the script).
    this.report(d, 'routine');
  }

  private need(id: string): RunDevice {
    const d = this.devices.get(id);
    if (!d) throw new Error(`no device ${id} in the simulated district`);
    return d;
  }

  private async ownLink(d: RunDevice): Promise<Link> {
    const status = deviceTopic({ communityId: d.spec.communityId, kind: d.spec.kind, deviceId: d.spec.id, channel: 'status' });
    return this.o.links(`${this.o.clientIdPrefix ?? 'community-sim'}-${d.spec.id}`, { topic: status, payload: 'offline' }, this.stats, d.spec.communityId);
  }

  /** Retained `online` for every device, paced by the broker's acknowledgements. */
  private async announce(): Promise<void> {
    let n = 0;
    const total = this.devices.size;
    for (const d of this.devices.values()) {
      const link = d.own ?? d.shared;
      while (link.inflight() > this.maxInflight) await sleep(5);
      this.publish(link, deviceTopic({ communityId: d.spec.communityId, kind: d.spec.kind, deviceId: d.spec.id, channel: 'status' }), 'online', { qos: 1, retain: true }, 'status');
      if (++n % 10_000 === 0) {
        this.o.onProgress?.(`announced ${n}/${total} devices online`);
        await sleep(0);
      }
    }
    this.o.onProgress?.(`announced ${total} devices online`);
  }

  /**
   * Each kind's devices report in a fixed rotation, so a period's reports are spread evenly and
   * each device reports exactly once per period. After a stall the rotation skips ahead rather
   * than bursting a device several times.
   */
  private tick(): void {
    const elapsed = Date.now() - this.tickStart;
    for (const [kind, g] of this.groups) {
      const n = g.list.length;
      if (n === 0) continue;
      const periodMs = (kindSpecs[kind].reportingPeriodS * 1000) / this.o.clock.timeScale;
      const target = Math.floor((elapsed / periodMs) * n) + 1;
      if (target - g.emitted > n) g.emitted = target - n;
      for (; g.emitted < target; g.emitted++) {
        const d = g.list[g.emitted % n]!;
        if (d.offline) continue;
        if ((d.own ?? d.shared).inflight() > this.maxInflight) {
          this.skipped++;
          continue;
        }
        this.report(d, 'routine');
      }
    }
  }

  private report(d: RunDevice, source: 'routine' | 'scenario'): void {
    const r = routineReport(d.spec, d.state, this.o.clock.now(), Date.now());
    this.send(d, 'telemetry', d.overrides ? { ...r.telemetry, ...d.overrides } : r.telemetry, this.telemetryQos, source);
    for (const e of r.events) this.send(d, 'event', e, 1, source);
  }

  private send(d: RunDevice, channel: 'telemetry' | 'event', body: Body, qos: 0 | 1, source: 'routine' | 'scenario'): void {
    if (d.offline && source === 'routine') return;
    body.ts = Date.now();
    body.seq = ++d.state.seq;
    const topic = deviceTopic({ communityId: d.spec.communityId, kind: d.spec.kind, deviceId: d.spec.id, channel });
    this.publish(d.own ?? d.shared, topic, JSON.stringify(body), { qos }, source);
  }

  private publish(link: Link, topic: string, payload: string, opts: { qos: 0 | 1; retain?: boolean }, source: 'status' | 'routine' | 'scenario'): void {
    link.publish(topic, payload, opts);
    this.o.onPublish?.(topic, payload, source);
  }
}

async function inBatches<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
