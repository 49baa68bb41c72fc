import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic, kindSpecs, type DeviceKind } from '#devices';
import { buildDistrict } from '../simulators/community/index.ts';
import { initialState, routineReport, type DeviceState } from '../simulators/community/telemetry.ts';
import type { SimDeviceSpec } from '../simulators/community/model.ts';

/**
 * The city slice's routine traffic (bench/city.ts): every device of `--communities` simulated
 * communities reports at its kind's period, published on its behalf from a few connections (an
 * IoT platform or gateway bridge does the same; 600,000 sockets would only measure this machine).
 * Readings and routine gate events come from the community simulator, so nothing here trips an
 * alert rule. Prints one summary JSON line on stdout when it stops (SIGTERM or --duration).
 */

/**
 * Seconds between two reports, per kind. Battery NB-IoT smoke and gas detectors send a heartbeat
 * every 30–60 minutes (the carrier platforms' usual setting; an alarm goes out at once); mains
 * devices report at the kind's `reportingPeriodS` (devices/src/kinds/, 60 s).
 */
export function reportPeriodsS(nbiotS: number): Record<DeviceKind, number> {
  const out = {} as Record<DeviceKind, number>;
  for (const [kind, spec] of Object.entries(kindSpecs) as [DeviceKind, { reportingPeriodS: number }][]) {
    out[kind] = kind === 'smoke' || kind === 'gas' ? nbiotS : spec.reportingPeriodS;
  }
  return out;
}

/** Devices per kind and the telemetry rate they make (msg/s), without the gate/camera events. */
export function plannedRates(devices: readonly SimDeviceSpec[], periods: Record<DeviceKind, number>) {
  const byKind: Partial<Record<DeviceKind, { devices: number; periodS: number; msgPerS: number }>> = {};
  for (const d of devices) {
    const k = (byKind[d.kind] ??= { devices: 0, periodS: periods[d.kind], msgPerS: 0 });
    k.devices++;
  }
  let total = 0;
  for (const k of Object.values(byKind)) {
    k.msgPerS = Math.round((k.devices / k.periodS) * 10) / 10;
    total += k.devices / k.periodS;
  }
  return { byKind, telemetryMsgPerS: Math.round(total) };
}

// A stride coprime to a kind's count walks its devices across all communities, so each hub gets
// its share of every tick instead of one community at a time.
const STRIDES = [7919, 7927, 7933, 7937, 7949];
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const strideFor = (n: number) => STRIDES.find((s) => gcd(n, s) === 1) ?? 1;

/** Scenario time: the simulator's gate traffic follows the Shanghai clock; the bench plays a weekday 09:00 onwards. */
function morningOffsetMs(now: number): number {
  const shanghaiHour = ((now / 3_600_000 + 8) % 24 + 24) % 24;
  return ((9 - shanghaiHour + 24) % 24) * 3_600_000;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      mqtt: { type: 'string' },
      communities: { type: 'string', default: '200' },
      connections: { type: 'string', default: '4' },
      'nbiot-s': { type: 'string', default: '1800' },
      duration: { type: 'string', default: '3600' },
      'max-inflight': { type: 'string', default: '5000' },
    },
  });
  const district = buildDistrict({ communities: Number(values.communities) });
  const periods = reportPeriodsS(Number(values['nbiot-s']));
  const planned = plannedRates(district.devices, periods);
  const groups = new Map<DeviceKind, { list: { spec: SimDeviceSpec; index: number; state?: DeviceState }[]; emitted: number; stride: number }>();
  district.devices.forEach((spec, index) => {
    let g = groups.get(spec.kind);
    if (!g) groups.set(spec.kind, (g = { list: [], emitted: 0, stride: 1 }));
    g.list.push({ spec, index });
  });
  for (const g of groups.values()) g.stride = strideFor(g.list.length);
  district.devices.length = 0;

  const clients: MqttClient[] = [];
  for (let i = 0; i < Number(values.connections); i++) {
    clients.push(await mqtt.connectAsync(values.mqtt!, { clientId: `city-publisher-${process.pid}-${i}`, clean: true, reconnectPeriod: 1000 }));
  }
  const inflight = clients.map(() => 0);
  const maxInflight = Number(values['max-inflight']);
  const counts = { telemetry: 0, events: 0, acked: 0, errors: 0, skipped: 0 };
  let next = 0;
  const send = (topic: string, body: Record<string, unknown>, kind: 'telemetry' | 'events') => {
    const c = next++ % clients.length;
    if (inflight[c]! > maxInflight) {
      counts.skipped++;
      return;
    }
    inflight[c]!++;
    counts[kind]++;
    clients[c]!.publish(topic, JSON.stringify(body), { qos: 1 }, (err) => {
      inflight[c]!--;
      if (err) counts.errors++;
      else counts.acked++;
    });
  };

  const startedAt = Date.now();
  const offset = morningOffsetMs(startedAt);
  const tick = () => {
    const now = Date.now();
    const elapsed = now - startedAt;
    for (const [kind, g] of groups) {
      const n = g.list.length;
      const target = Math.floor((elapsed / (periods[kind] * 1000)) * n) + 1;
      if (target - g.emitted > n) g.emitted = target - n;
      for (; g.emitted < target; g.emitted++) {
        const d = g.list[(g.emitted * g.stride) % n]!;
        d.state ??= initialState(d.spec, district.seed, d.index);
        const r = routineReport(d.spec, d.state, now + offset, now);
        const base = { communityId: d.spec.communityId, kind: d.spec.kind, deviceId: d.spec.id };
        send(deviceTopic({ ...base, channel: 'telemetry' }), { ...r.telemetry, ts: now, seq: ++d.state.seq }, 'telemetry');
        for (const e of r.events) send(deviceTopic({ ...base, channel: 'event' }), { ...e, ts: now, seq: ++d.state.seq }, 'events');
      }
    }
  };
  const timer = setInterval(tick, 100);
  process.stderr.write(`  city publisher: ${groups.size} kinds, ${planned.telemetryMsgPerS} telemetry msg/s planned over ${clients.length} connections\n`);

  const stop = async () => {
    clearInterval(timer);
    const s = (Date.now() - startedAt) / 1000;
    // The broker may be gone already (the bench stops it): do not wait for a goodbye.
    await Promise.race([Promise.all(clients.map((c) => c.endAsync().catch(() => {}))), new Promise((r) => setTimeout(r, 2000))]);
    process.stdout.write(JSON.stringify({ ...counts, seconds: Math.round(s), telemetryPerS: Math.round(counts.telemetry / s), eventsPerS: Math.round((counts.events / s) * 10) / 10, planned }) + '\n');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  setTimeout(() => void stop(), Number(values.duration) * 1000);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
