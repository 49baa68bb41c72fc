import { fakeJpeg, SimAccessController } from '../access-controller/index.ts';
import { CtwingPushClient, newEncodingAesKey, OnenetPushClient } from '../nbiot/index.ts';
import { renderJpeg } from '../onvif-camera/jpeg.ts';
import type { District, SimDeviceSpec } from './model.ts';

/**
 * The part of a mixed community that does not speak MQTT: NB-IoT smoke detectors through CTWing,
 * NB-IoT gas detectors through OneNET (secure mode), and Hikvision access controllers whose
 * alertStream the hub reads (docs/platforms.md). Each is placed beside a device of the same kind
 * the district already has (same building and floor), and comes with the hub config it needs.
 */
export interface PlatformFleetSpec {
  ctwingSmoke: number;
  onenetGas: number;
  isapiGates: number;
  /** the access controllers listen on 127.0.0.1:portBase, portBase+1, … */
  isapiPortBase?: number;
}

const CTWING_PRODUCT = '15100001';
const ONENET_PRODUCT = 'onenet-gas';

export interface PlatformPlan {
  devices: SimDeviceSpec[];
  /** the config file's `platforms:` section for these devices */
  platforms: Record<string, unknown[]>;
  ctwing: { imei: string; deviceId: string }[];
  onenet: { devId: number; deviceId: string }[];
  gates: { deviceId: string; port: number }[];
  secrets: { ctwingToken: string; onenetToken: string; onenetAesKey: string; gateUser: string; gatePassword: string };
}

function beside(base: SimDeviceSpec, id: string, what: string): SimDeviceSpec {
  return { ...base, id, name: `${base.name} (${what})`, ...(base.covers ? { covers: undefined } : {}) };
}

export function platformPlan(d: District, spec: PlatformFleetSpec, secrets: Partial<PlatformPlan['secrets']> = {}): PlatformPlan {
  const of = (kind: string) => d.devices.filter((x) => x.kind === kind);
  const pick = (kind: string, i: number) => {
    const list = of(kind);
    if (list.length === 0) throw new Error(`the district has no ${kind} device to place a platform device beside`);
    return list[i % list.length]!;
  };
  const s = { ctwingToken: 'sim-ctwing-token-0001', onenetToken: 'simOnenetTok3n', onenetAesKey: newEncodingAesKey(), gateUser: 'admin', gatePassword: 'sim-gate-pass', ...secrets };
  const ctwing = Array.from({ length: spec.ctwingSmoke }, (_, i) => ({ imei: `8691${String(i).padStart(11, '0')}`, deviceId: `nb-ct-${i + 1}` }));
  const onenet = Array.from({ length: spec.onenetGas }, (_, i) => ({ devId: 520_000_001 + i, deviceId: `nb-on-${i + 1}` }));
  const base = spec.isapiPortBase ?? 18_080;
  const gates = Array.from({ length: spec.isapiGates }, (_, i) => ({ deviceId: `isapi-gate-${i + 1}`, port: base + i }));
  const devices = [
    ...ctwing.map((c, i) => beside(pick('smoke', i), c.deviceId, 'NB-IoT, CTWing')),
    ...onenet.map((o, i) => beside(pick('gas', i), o.deviceId, 'NB-IoT, OneNET')),
    ...gates.map((g, i) => beside(pick('gate', i), g.deviceId, 'Hikvision ISAPI')),
  ];
  const platforms: Record<string, unknown[]> = {};
  if (ctwing.length) {
    platforms.ctwing = [{
      id: CTWING_PRODUCT,
      kind: 'smoke',
      token: s.ctwingToken,
      devices: Object.fromEntries(ctwing.map((c) => [c.imei, c.deviceId])),
      map: {
        telemetry: { smoke_obscuration_pct_per_m: { from: 'smoke_value', scale: 0.01 }, temperature_c: 'temperature', battery_pct: 'battery_value', rssi_dbm: 'rsrp' },
        events: [{ type: 'alarm', when: { smoke_state: 1 } }, { type: 'alarm_cleared', when: { messageType: 'eventReport', serviceId: 1001, smoke_state: 0 } }],
      },
    }];
  }
  if (onenet.length) {
    platforms.onenet = [{
      id: ONENET_PRODUCT,
      kind: 'gas',
      token: s.onenetToken,
      aesKey: s.onenetAesKey,
      devices: Object.fromEntries(onenet.map((o) => [String(o.devId), o.deviceId])),
      map: { telemetry: { lel_pct: 'gas_concentration', battery_pct: 'battery' }, events: [{ type: 'alarm', when: { gas_alarm: 1 } }, { type: 'alarm_cleared', when: { gas_alarm: 0 } }] },
    }];
  }
  if (gates.length) platforms.hikvision = gates.map((g) => ({ deviceId: g.deviceId, url: `http://127.0.0.1:${g.port}`, username: s.gateUser, password: s.gatePassword }));
  return { devices, platforms, ctwing, onenet, gates, secrets: s };
}

export interface PlatformFleet {
  controllers: SimAccessController[];
  /** pushes answered 200, pushes answered otherwise or failed, gate events written */
  stats(): { pushed: number; failed: number; gateEvents: number };
  stop(): Promise<void>;
}

/**
 * Runs the plan against a hub at `hubUrl`: every `everyS` each NB-IoT device reports (CTWing
 * dataReport, OneNET data points) and each gate logs a pass with its picture.
 */
export async function startPlatformFleet(plan: PlatformPlan, o: { hubUrl: string; everyS?: number; log?: (line: string) => void }): Promise<PlatformFleet> {
  const s = plan.secrets;
  const ct = new CtwingPushClient(`${o.hubUrl}/api/ingest/ctwing/${CTWING_PRODUCT}?token=${encodeURIComponent(s.ctwingToken)}`, CTWING_PRODUCT);
  const on = new OnenetPushClient(`${o.hubUrl}/api/ingest/onenet/${ONENET_PRODUCT}`, s.onenetToken, s.onenetAesKey);
  const controllers = plan.gates.map(() => new SimAccessController(s.gateUser, s.gatePassword));
  await Promise.all(controllers.map((c, i) => c.start(plan.gates[i]!.port)));
  let pushed = 0;
  let failed = 0;
  let gateEvents = 0;
  let serial = 0;
  let round = 0;
  const count = (p: Promise<number>) => p.then((st) => (st === 200 ? pushed++ : failed++), () => failed++);
  const tick = () => {
    round++;
    for (const c of plan.ctwing) void count(ct.dataReport(c.imei, { smoke_value: 2 + (round % 3), temperature: 21 + (round % 4), battery_value: 92, rsrp: -95, smoke_state: 0 }));
    for (const g of plan.onenet) {
      void count(on.dataPoint(g.devId, 'gas_concentration', round % 5));
      void count(on.dataPoint(g.devId, 'battery', 88));
    }
    controllers.forEach((c, i) => {
      if (c.connected === 0) return;
      // A face pass (major 5, minor 0x4b) with the controller's capture.
      c.send({ major: 5, minor: 0x4b, serialNo: ++serial, dateTime: new Date().toISOString(), doorNo: 1 }, { picture: i % 2 ? fakeJpeg(`pass-${serial}`) : renderJpeg({ width: 64, height: 48, hue: (i * 47) % 360, frame: round }) });
      gateEvents++;
    });
  };
  tick();
  const timer = setInterval(tick, (o.everyS ?? 60) * 1000);
  o.log?.(`platforms: ${plan.ctwing.length} CTWing smoke, ${plan.onenet.length} OneNET gas, ${plan.gates.length} ISAPI gates (${plan.gates.map((g) => g.port).join(', ') || 'none'})`);
  return {
    controllers,
    stats: () => ({ pushed, failed, gateEvents }),
    stop: async () => {
      clearInterval(timer);
      await Promise.all(controllers.map((c) => c.stop()));
    },
  };
}
