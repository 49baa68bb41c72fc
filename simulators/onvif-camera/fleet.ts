import { SimulatedCamera, type SimulatedCameraOptions } from './camera.ts';

export interface FleetOptions extends Omit<SimulatedCameraOptions, 'port' | 'name' | 'hue' | 'discovery'> {
  count: number;
  /** First HTTP port; camera i listens on basePort + i. 0 (default) gives every camera a free port. */
  basePort?: number;
  discovery?: SimulatedCameraOptions['discovery'];
  /** First UDP port for unicast discovery responders (camera i on discoveryBasePort + i); 0 = free ports. */
  discoveryBasePort?: number;
  namePrefix?: string;
}

export interface CameraFleet {
  cameras: SimulatedCamera[];
  stop(): Promise<void>;
}

/** Starts `count` simulated cameras; if one fails to start, the ones already running are stopped again. */
export async function startCameraFleet(opts: FleetOptions): Promise<CameraFleet> {
  const { count, basePort = 0, discoveryBasePort = 0, namePrefix = 'SimCam', discovery, ...shared } = opts;
  const cameras: SimulatedCamera[] = [];
  const stop = async () => {
    await Promise.all(cameras.map((c) => c.stop()));
  };
  try {
    for (let i = 0; i < count; i++) {
      const cam = new SimulatedCamera({
        ...shared,
        port: basePort ? basePort + i : 0,
        name: `${namePrefix}-${i + 1}`,
        hue: (i * 47) % 360,
        discovery:
          discovery && discovery.mode === 'unicast'
            ? { ...discovery, port: discoveryBasePort ? discoveryBasePort + i : 0 }
            : discovery,
      });
      await cam.start();
      cameras.push(cam);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { cameras, stop };
}
