import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jpeg from 'jpeg-js';
import onvif from 'onvif';
import { SimulatedCamera } from '../../simulators/onvif-camera/index.ts';
import { waitFor } from './helpers.ts';

type Cam = InstanceType<typeof onvif.Cam>;

/** The `onvif` package (agsh/onvif), written independently of our code, drives the simulated camera. */
describe('simulated camera driven by the independent `onvif` client', () => {
  let camera: SimulatedCamera;
  let cam: Cam;
  const agent = new http.Agent({ keepAlive: false });

  const call = <T>(fn: (cb: (err: unknown, data?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => fn((err, data) => (err ? reject(err) : resolve(data as T))));

  beforeAll(async () => {
    camera = await new SimulatedCamera({ username: 'operator', password: 's3cret!', name: 'Gate North' }).start();
    cam = new onvif.Cam({ hostname: '127.0.0.1', port: camera.port, username: 'operator', password: 's3cret!', autoconnect: false, agent });
    await call((cb) => cam.connect(cb));
  });

  afterAll(async () => {
    cam?.removeAllListeners('event');
    agent.destroy();
    await camera?.stop();
  });

  it('GetDeviceInformation', async () => {
    const info = await call<Record<string, unknown>>((cb) => cam.getDeviceInformation(cb));
    expect(info).toMatchObject({ manufacturer: 'SafetyHub Sim', model: 'SIM-IPC-1080', firmwareVersion: '1.0.0-sim' });
    expect(typeof info.serialNumber).toBe('string');
  });

  it('GetServices / GetProfiles / GetVideoSources as the client uses them on connect', () => {
    expect(Object.keys((cam as unknown as { uri: object }).uri).sort()).toEqual(['device', 'events', 'media']);
    const profiles = (cam as unknown as { profiles: { $: { token: string }; videoEncoderConfiguration: { resolution: { width: number }; rateControl: { frameRateLimit: number } } }[] }).profiles;
    expect(profiles.map((p) => p.$.token)).toEqual(['profile_main', 'profile_sub']);
    expect(profiles[0]!.videoEncoderConfiguration.resolution.width).toBe(1920);
    expect((cam as unknown as { activeSource: object }).activeSource).toMatchObject({ profileToken: 'profile_main', fps: 25, bitrate: 4096 });
  });

  it('GetStreamUri and GetSnapshotUri; the snapshot is a JPEG behind HTTP Digest', async () => {
    const stream = await call<{ uri: string }>((cb) => cam.getStreamUri({ protocol: 'RTSP' }, cb));
    expect(stream.uri).toMatch(/^rtsp:\/\/127\.0\.0\.1:\d+\/.+profile_main$/);
    const snap = await call<{ uri: string }>((cb) => cam.getSnapshotUri({ profileToken: 'profile_sub' }, cb));
    const url = new URL(snap.uri);
    expect(url.pathname).toBe('/onvif/snapshot/profile_sub.jpg');

    const challenge = await fetch(url);
    expect(challenge.status).toBe(401);
    const www = challenge.headers.get('www-authenticate')!;
    expect(www).toMatch(/^Digest /);
    // The package's own Digest implementation answers the challenge.
    const authorization = (cam as unknown as { digestAuth(c: string[], o: object): string }).digestAuth([www], { method: 'GET', path: url.pathname });
    const res = await fetch(url, { headers: { authorization } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const img = jpeg.decode(Buffer.from(await res.arrayBuffer()));
    expect(img.width).toBeGreaterThan(0);
  });

  it('events through its pull-point loop: tamper arrives with its ONVIF topic and state', async () => {
    const messages: { topic: { _: string }; message: { message: { $: { PropertyOperation: string }; data: { simpleItem: { $: { Name: string; Value: unknown } } } } } }[] = [];
    cam.on('event', (m) => void messages.push(m));
    await waitFor(() => camera.subscriptionCount > 0, 'pull-point subscription');
    // The camera first reports the current state of each property (Initialized).
    await waitFor(() => messages.length >= 3, 'initial state messages');
    camera.raiseTamper();
    const tamper = await waitFor(
      () => messages.find((m) => m.topic._ === 'tns1:VideoSource/GlobalSceneChange/ImagingService' && m.message.message.$.PropertyOperation === 'Changed'),
      'tamper notification',
    );
    expect(tamper.message.message.data.simpleItem.$).toEqual({ Name: 'State', Value: true });
  });

  it('a wrong password is refused with ter:NotAuthorized', async () => {
    const bad = new onvif.Cam({ hostname: '127.0.0.1', port: camera.port, username: 'operator', password: 'wrong', autoconnect: false, agent });
    const err = await call((cb) => bad.connect(cb)).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/Sender not Authorized/);
  });
});
