import type { KindRule, Signal } from './types.ts';

interface GateState {
  doorOpenSince?: number;
  denials?: number[];
}

/** Access gates: forced door, door held open, tailgating, bursts of denied access, low battery. */
export const gateRule: KindRule = ({ msg, thresholds: t, state, now }) => {
  const s = state as GateState;
  const out: Signal[] = [];
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
      case 'access_denied': {
        const windowMs = t.gate.accessDeniedWindowS * 1000;
        s.denials = [...(s.denials ?? []).filter((at) => now - at < windowMs), now];
        if (s.denials.length >= t.gate.accessDeniedCount) {
          out.push({ type: 'access_denied_burst', action: 'event', detail: { deniedInWindow: s.denials.length } });
        }
        break;
      }
    }
    return out;
  }
  if (msg.channel !== 'telemetry') return out;
  const door = msg.readings.door;
  if (door === 'open') {
    s.doorOpenSince ??= msg.ts;
    const openS = (msg.ts - s.doorOpenSince) / 1000;
    if (openS >= t.gate.doorHeldOpenS) out.push({ type: 'door_held_open', action: 'active', detail: { openS: Math.round(openS) } });
  } else if (door === 'closed') {
    s.doorOpenSince = undefined;
    out.push({ type: 'door_held_open', action: 'clear' });
  }
  const battery = msg.readings.battery_pct;
  if (typeof battery === 'number') {
    out.push({ type: 'low_battery', action: battery < t.gate.lowBatteryPct ? 'active' : 'clear', detail: { battery_pct: battery } });
  }
  return out;
};
