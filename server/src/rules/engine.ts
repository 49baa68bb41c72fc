import { kindSpecs, type AlertType } from '#devices';
import type { AlertService } from '../alerts/service.ts';
import type { DeviceMessage, EventBus } from '../events.ts';
import type { GridModel } from '../grid/model.ts';
import type { Logger } from '../log.ts';
import type { Device, DeviceRegistry } from '../registry/devices.ts';
import { kindRules } from './index.ts';
import { mergeThresholds, type Thresholds } from './thresholds.ts';
import type { DeviceRuleState, Signal } from './types.ts';

const INTRUSION_TYPES: readonly AlertType[] = ['door_forced', 'tailgating'];
const INTRUSION_MOTION_WINDOW_MS = 120_000;

export interface RuleEngineDeps {
  bus: EventBus;
  registry: DeviceRegistry;
  grid: GridModel;
  alerts: AlertService;
  clock: () => number;
  log: Logger;
  /** Device ids (or building ids) each camera covers, from the config file. */
  cameraCoverage: Map<string, string[]>;
  /** Cluster mode: a device's rule memory changed (it is kept in the shared state, so a takeover resumes it). */
  onMemory?: (device: Device, state: DeviceRuleState) => void;
  /** Cluster mode: whether this hub acts for the community now; silence is judged only there. */
  owns?: (communityId: string) => boolean;
}

/**
 * Evaluates every valid device message against its kind's rule, plus device-offline detection
 * (last will / status, or silence past N reporting periods), and hands conclusions to the alerts.
 * Runs straight off the ingest bus: alerts never wait behind telemetry writes.
 */
export class RuleEngine {
  private readonly states = new Map<string, DeviceRuleState>();
  private readonly thresholdsByCommunity = new Map<string, Thresholds>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void)[] = [];
  /** What onMemory was last told per device, to tell it only of changes. */
  private readonly remembered = new Map<string, string>();
  /** Cluster mode: when the sweep first found each community held here (its devices were heard elsewhere before). */
  private readonly heldSince = new Map<string, number>();

  constructor(private readonly d: RuleEngineDeps) {}

  start(sweepIntervalMs = 5000): void {
    this.unsubscribe.push(this.d.bus.on('deviceMessage', (msg) => this.evaluate(msg)));
    this.unsubscribe.push(
      this.d.bus.on('deviceState', ({ deviceId, online }) => {
        const device = this.d.registry.get(deviceId);
        if (device) this.apply(device, { type: 'device_offline', action: online ? 'clear' : 'active' });
      }),
    );
    this.sweepTimer = setInterval(() => this.sweepSilence(), sweepIntervalMs);
    this.sweepTimer.unref();
  }

  stop(): void {
    clearInterval(this.sweepTimer);
    for (const off of this.unsubscribe) off();
  }

  thresholds(communityId: string): Thresholds {
    let t = this.thresholdsByCommunity.get(communityId);
    if (!t) {
      t = mergeThresholds(this.d.grid.community(communityId)?.thresholds);
      this.thresholdsByCommunity.set(communityId, t);
    }
    return t;
  }

  evaluate(msg: DeviceMessage): void {
    if (msg.channel === 'status') return; // online/offline arrives as deviceState
    const device = this.d.registry.get(msg.deviceId);
    if (!device) return;
    let state = this.states.get(device.id);
    if (!state) {
      state = {};
      this.states.set(device.id, state);
    }
    const now = this.d.clock();
    const signals = kindRules[device.kind]({ msg, thresholds: this.thresholds(device.communityId), state, now });
    if (this.d.onMemory) this.remember(device, state);
    if (msg.channel === 'event' && device.kind === 'camera' && msg.type === 'motion') signals.push(...this.intrusionMotion(device, now));
    for (const sig of signals) this.apply(device, sig);
  }

  /** Cluster mode: resumes the rule memory of a community taken over. */
  adopt(states: ReadonlyMap<string, DeviceRuleState>): void {
    for (const [deviceId, state] of states) {
      this.states.set(deviceId, state);
      this.remembered.set(deviceId, JSON.stringify(state));
    }
  }

  /** Cluster mode: forgets a community whose lease is gone. */
  drop(communityId: string): void {
    for (const deviceId of this.states.keys()) {
      if (this.d.registry.get(deviceId)?.communityId !== communityId) continue;
      this.states.delete(deviceId);
      this.remembered.delete(deviceId);
    }
  }

  private remember(device: Device, state: DeviceRuleState): void {
    const json = JSON.stringify(state);
    // No row is the empty memory: a device's first message writes nothing until a rule keeps something.
    if ((this.remembered.get(device.id) ?? '{}') === json) return;
    this.remembered.set(device.id, json);
    this.d.onMemory!(device, state);
  }

  /** A devices that went quiet for longer than N reporting periods is offline. */
  sweepSilence(): void {
    const now = this.d.clock();
    const since = this.d.owns ? this.sweptCommunities(now) : undefined;
    for (const device of this.d.registry.all()) {
      if (!device.online || device.lastSeenAt === null) continue;
      let lastSeenAt = device.lastSeenAt;
      if (since) {
        // Another hub's community: its holder judges. One just taken over: heard from only since then.
        const heldAt = since.get(device.communityId);
        if (heldAt === undefined) continue;
        lastSeenAt = Math.max(lastSeenAt, heldAt);
      }
      const limitMs = kindSpecs[device.kind].reportingPeriodS * 1000 * this.thresholds(device.communityId).offlineAfterPeriods;
      if (now - lastSeenAt > limitMs && this.d.registry.setOnline(device, false)) {
        this.d.bus.emit('deviceState', { deviceId: device.id, online: false, at: now });
      }
    }
  }

  /** The communities held now, each with the time this sweep first found it held. */
  private sweptCommunities(now: number): Map<string, number> {
    for (const c of this.heldSince.keys()) if (!this.d.owns!(c)) this.heldSince.delete(c);
    for (const { id: c } of this.d.grid.allCommunities()) if (!this.heldSince.has(c) && this.d.owns!(c)) this.heldSince.set(c, now);
    return this.heldSince;
  }

  /** Motion on a camera that covers a gate with a fresh forced door or tailgating: one intrusion. */
  private intrusionMotion(camera: Device, now: number): Signal[] {
    const covers = this.d.cameraCoverage.get(camera.id);
    const related = this.d.alerts.recent(INTRUSION_TYPES, now - INTRUSION_MOTION_WINDOW_MS, (a) => {
      if (covers) return covers.includes(a.deviceId) || (a.buildingId != null && covers.includes(a.buildingId));
      return camera.buildingId != null && a.buildingId === camera.buildingId;
    });
    return related.length ? [{ type: 'intrusion_motion', action: 'event', detail: { after: related.map((a) => a.id) } }] : [];
  }

  private apply(device: Device, sig: Signal): void {
    try {
      this.d.alerts.signal(device, sig);
    } catch (err) {
      this.d.log.error({ err, deviceId: device.id, type: sig.type }, 'applying a rule signal failed');
    }
  }
}
