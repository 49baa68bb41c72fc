import { Type } from '@sinclair/typebox';
import { DoorState, OptionalNonNegativeNumber as N, Percent, defineKind, type KindSignal } from './common.ts';

interface GateState {
  doorOpenSince?: number;
  denials?: number[];
}

export const gate = defineKind({
  kind: 'gate',
  label: { zh: '门禁', en: 'Access gate' },
  fields: {
    door: { schema: DoorState, label: { zh: '门状态', en: 'Door' }, rollup: 'none' },
    locked: { schema: Type.Boolean(), label: { zh: '已上锁', en: 'Locked' }, rollup: 'mean' },
    passes_total: { schema: Type.Integer({ minimum: 0 }), label: { zh: '累计通行', en: 'Passes total' }, rollup: 'mean' },
    battery_pct: { schema: Percent, unit: '%', label: { zh: '电量', en: 'Battery' }, rollup: 'mean' },
  },
  events: {
    access_granted: { zh: '通行', en: 'Access granted' },
    access_denied: { zh: '拒绝通行', en: 'Access denied' },
    door_forced: { zh: '强行开门', en: 'Door forced' },
    door_held_open: { zh: '门长时间未关', en: 'Door held open' },
    tailgating: { zh: '尾随通行', en: 'Tailgating' },
    tamper: { zh: '防拆', en: 'Tamper' },
  },
  alerts: {
    door_forced: { severity: 'critical', label: { zh: '门被强行打开', en: 'Door forced open' } },
    door_held_open: { severity: 'major', label: { zh: '门长时间未关', en: 'Door held open' } },
    tailgating: { severity: 'major', label: { zh: '尾随进入', en: 'Tailgating' } },
    access_denied_burst: { severity: 'major', label: { zh: '多次刷卡被拒', en: 'Repeated access denied' } },
    gate_tamper: { severity: 'major', label: { zh: '门禁设备被拆动', en: 'Access controller tampered' } },
  },
  thresholdsKey: 'gate',
  thresholds: { doorHeldOpenS: 120, accessDeniedCount: 5, accessDeniedWindowS: 60, lowBatteryPct: 20 },
  thresholdOverrides: Type.Object({ doorHeldOpenS: N(), accessDeniedCount: N(), accessDeniedWindowS: N(), lowBatteryPct: N() }),
  /** Forced door, door held open, tailgating, tamper, bursts of denied access, low battery. */
  rule: ({ msg, thresholds: t, state, now }) => {
    const s = state as GateState;
    const out: KindSignal<'door_forced' | 'door_held_open' | 'tailgating' | 'gate_tamper' | 'access_denied_burst' | 'low_battery'>[] = [];
    if (msg.channel === 'event') {
      switch (msg.type) {
        case 'door_forced':
          out.push({ type: 'door_forced', action: 'event' });
          break;
        case 'door_held_open':
          out.push({ type: 'door_held_open', action: 'active' });
          break;
        case 'tailgating':
          out.push({ type: 'tailgating', action: 'event' });
          break;
        case 'tamper':
          out.push({ type: 'gate_tamper', action: 'event' });
          break;
        case 'access_denied': {
          const windowMs = t.accessDeniedWindowS * 1000;
          s.denials = [...(s.denials ?? []).filter((at) => now - at < windowMs), now];
          if (s.denials.length >= t.accessDeniedCount) {
            out.push({ type: 'access_denied_burst', action: 'event', detail: { deniedInWindow: s.denials.length } });
          }
          break;
        }
      }
      return out;
    }
    const door = msg.readings.door;
    if (door === 'open') {
      s.doorOpenSince ??= msg.ts;
      const openS = (msg.ts - s.doorOpenSince) / 1000;
      if (openS >= t.doorHeldOpenS) out.push({ type: 'door_held_open', action: 'active', detail: { openS: Math.round(openS) } });
    } else if (door === 'closed') {
      s.doorOpenSince = undefined;
      out.push({ type: 'door_held_open', action: 'clear' });
    }
    const battery = msg.readings.battery_pct;
    if (typeof battery === 'number') {
      out.push({ type: 'low_battery', action: battery < t.lowBatteryPct ? 'active' : 'clear', detail: { battery_pct: battery } });
    }
    return out;
  },
  reportingPeriodS: 60,
  offlineSeverity: 'major',
});
