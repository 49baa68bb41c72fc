import { SimGbDevice, type SimAlarm, type SimPlatform } from './device.ts';

export type Misbehaviour = 'wrong-password' | 'missed-keepalives' | 'malformed-xml' | 'utf8';

export interface GbFleetOptions {
  platform: SimPlatform;
  password: string;
  /** Devices (NVRs, or IPCs with one channel); ids 34020000001180000001 on. */
  devices: number;
  channels: number;
  transport?: 'udp' | 'tcp';
  keepaliveIntervalS?: number;
  /** An alarm from some channel every this many seconds (rotating through the kinds); none when unset. */
  alarmEveryS?: number;
  /** What the first device does wrong. */
  misbehave?: Misbehaviour;
  /** Where the first device id's serial starts (several fleets on one platform). */
  firstSerial?: number;
  log?: (line: string) => void;
}

const ROTATION: SimAlarm[] = ['motion', 'line_crossing', 'video_loss', 'tamper', 'disk_full'];

export interface GbFleet {
  devices: SimGbDevice[];
  registered: number;
  alarms: number;
  stop(): Promise<void>;
}

/** Simulated GB/T 28181 devices: register, keep alive, answer the catalog, raise alarms on a rota. */
export async function startGbFleet(o: GbFleetOptions): Promise<GbFleet> {
  const log = o.log ?? (() => {});
  const first = o.firstSerial ?? 1;
  const devices = Array.from({ length: o.devices }, (_, i) => {
    const id = `3402000000118${String(first + i).padStart(7, '0')}`;
    return new SimGbDevice({ id, password: o.password, channels: o.channels, platform: o.platform, ...(o.transport ? { transport: o.transport } : {}), charset: o.misbehave === 'utf8' && i === 0 ? 'UTF-8' : 'GB2312' });
  });
  const fleet: GbFleet = { devices, registered: 0, alarms: 0, stop: async () => {} };
  let alarmTimer: NodeJS.Timeout | undefined;
  for (const [i, d] of devices.entries()) {
    await d.start();
    if (i === 0 && o.misbehave === 'wrong-password') d.wrongPassword = `${o.password}-wrong`;
    const status = await d.register().catch((err: unknown) => (log(`${d.id}: ${(err as Error).message}`), 0));
    log(`${d.id}: REGISTER → ${status}`);
    if (status === 200) fleet.registered++;
    d.startKeepalive(o.keepaliveIntervalS ?? 60);
    if (i === 0 && o.misbehave === 'missed-keepalives') d.silent = true;
    if (i === 0 && o.misbehave === 'malformed-xml') log(`${d.id}: malformed XML → ${await d.sendMalformedXml().catch(() => 0)}`);
  }
  if (o.alarmEveryS) {
    let n = 0;
    alarmTimer = setInterval(() => {
      const d = devices[n % devices.length]!;
      const alarm = ROTATION[n % ROTATION.length]!;
      const channel = n % Math.max(o.channels, 1);
      n++;
      void d.raiseAlarm({ alarm, channel, description: `模拟${alarm}` }).then(
        (status) => {
          fleet.alarms++;
          log(`${d.channelIds[channel]}: ${alarm} → ${status}`);
        },
        () => {},
      );
    }, o.alarmEveryS * 1000);
    alarmTimer.unref();
  }
  fleet.stop = async () => {
    clearInterval(alarmTimer);
    await Promise.all(devices.map(async (d) => {
      await d.unregister().catch(() => {});
      await d.stop();
    }));
  };
  return fleet;
}
