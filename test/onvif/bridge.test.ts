import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jpeg from 'jpeg-js';
import mqtt from 'mqtt';
import pino from 'pino';
import { CameraError, OnvifBridge } from '../../devices/src/onvif/index.ts';
import { startCameraFleet, type CameraFleet } from '../../simulators/onvif-camera/index.ts';
import { startBroker, sleep, waitFor, type Received, type TestBroker } from './helpers.ts';

const COMMUNITY = 'c-onvif';
const PASSWORD = 'cam-secret';

describe('ONVIF bridge against simulated cameras over a real MQTT broker', () => {
  let broker: TestBroker;
  let fleet: CameraFleet;
  let bridge: OnvifBridge;
  const logs: string[] = [];

  const msgs = (id: string, channel: Received['channel'], since = 0) =>
    broker.received.slice(since).filter((m) => m.deviceId === id && m.channel === channel);
  const telemetry = (id: string, since = 0) =>
    msgs(id, 'telemetry', since).map((m) => ({ raw: JSON.parse(m.raw) as Record<string, unknown>, m }));
  const lastStatus = (id: string, since = 0) => msgs(id, 'status', since).at(-1)?.raw;

  beforeAll(async () => {
    broker = await startBroker();
    fleet = await startCameraFleet({ count: 3, username: 'admin', password: PASSWORD });
    const [c1, c2, c3] = fleet.cameras;
    bridge = new OnvifBridge({
      communityId: COMMUNITY,
      mqtt: broker.url,
      cameras: [
        { id: 'cam-1', xaddr: c1!.xaddr, username: 'admin', password: PASSWORD, buildingId: 'b-1', coverage: ['smoke-7'] },
        { id: 'cam-2', xaddr: c2!.xaddr, username: 'admin', password: PASSWORD, gridCellId: 'cell-2' },
        { id: 'cam-bad', xaddr: c3!.xaddr, username: 'admin', password: 'not-the-password' },
      ],
      pollIntervalMs: 300,
      timeoutMs: 4000,
      authRetry: { initialMs: 1500, maxMs: 6000 },
      eventRetry: { initialMs: 200, maxMs: 2000 },
      staggerStart: false,
      logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }),
    });
    await bridge.start();
  });

  afterAll(async () => {
    await bridge?.stop();
    await fleet?.stop();
    await broker?.close();
  });

  it('publishes health telemetry on the contract topic with its values intact, and status online', async () => {
    const first = await waitFor(() => telemetry('cam-1').find((t) => t.raw.reachable === true), 'cam-1 telemetry');
    expect(first!.m.topic).toBe(`community/${COMMUNITY}/camera/cam-1/telemetry`);
    expect(first!.raw).toMatchObject({ reachable: true, fps: 25, bitrate_kbps: 4096 });
    expect(Math.abs(first!.raw.clock_drift_s as number)).toBeLessThanOrEqual(2);
    expect(first!.raw.snapshot_ms).toBeGreaterThan(0);
    expect(typeof first!.raw.ts).toBe('number');
    // The hub's own decoder accepts it and keeps every reading, including the extension fields.
    const decoded = first!.m.decoded;
    expect(decoded.channel).toBe('telemetry');
    if (decoded.channel !== 'telemetry') return;
    expect(decoded.readings).toMatchObject({
      reachable: true,
      fps: 25,
      bitrate_kbps: 4096,
      clock_drift_s: first!.raw.clock_drift_s,
      snapshot_ms: first!.raw.snapshot_ms,
    });
    await waitFor(() => lastStatus('cam-1') === 'online' && lastStatus('cam-2') === 'online', 'status online');

    // Status is retained: a client that connects later still learns it.
    const late = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    const retained: string[] = [];
    late.on('message', (topic, payload, packet) => {
      if (packet.retain) retained.push(`${topic}=${payload.toString()}`);
    });
    await late.subscribeAsync(`community/${COMMUNITY}/camera/+/status`);
    await waitFor(() => retained.includes(`community/${COMMUNITY}/camera/cam-1/status=online`), 'retained status');
    await late.endAsync(true);
    expect(bridge.getCamera('cam-1')).toMatchObject({ state: 'online', details: { model: 'SIM-IPC-1080', profile: { token: 'profile_main' } } });
  });

  it('measures clock drift from GetSystemDateAndTime', async () => {
    fleet.cameras[1]!.setClockDriftS(120);
    const t = await waitFor(
      () => telemetry('cam-2').find((x) => typeof x.raw.clock_drift_s === 'number' && Math.abs((x.raw.clock_drift_s as number) - 120) <= 2),
      'cam-2 drift about 120 s',
    );
    expect(t.raw.reachable).toBe(true);
    fleet.cameras[1]!.setClockDriftS(0);
  });

  it('reports an unreachable camera (reachable=false, status offline) and its return', async () => {
    const since = broker.received.length;
    fleet.cameras[0]!.setReachable(false);
    await waitFor(() => telemetry('cam-1', since).some((t) => t.raw.reachable === false), 'reachable=false');
    await waitFor(() => lastStatus('cam-1', since) === 'offline', 'status offline');
    expect(bridge.getCamera('cam-1')!.state).toBe('offline');
    // The other cameras keep being reported.
    await waitFor(() => telemetry('cam-2', since).some((t) => t.raw.reachable === true), 'cam-2 still polled');

    const back = broker.received.length;
    fleet.cameras[0]!.setReachable(true);
    await waitFor(() => telemetry('cam-1', back).some((t) => t.raw.reachable === true), 'reachable=true again');
    await waitFor(() => lastStatus('cam-1', back) === 'online', 'status online again');
  });

  it('turns camera tamper, motion and video loss into contract events (pull-point)', async () => {
    const cam = fleet.cameras[1]!;
    await waitFor(() => bridge.getCamera('cam-2')!.eventsActive && cam.subscriptionCount > 0, 'cam-2 event subscription');
    const since = broker.received.length;
    cam.raiseTamper();
    const tamper = await waitFor(() => msgs('cam-2', 'event', since).find((m) => m.decoded.channel === 'event' && m.decoded.type === 'tamper'), 'tamper event');
    expect(tamper.topic).toBe(`community/${COMMUNITY}/camera/cam-2/event`);
    expect(JSON.parse(tamper.raw)).toMatchObject({ type: 'tamper', onvif_topic: 'tns1:VideoSource/GlobalSceneChange/ImagingService' });

    cam.raiseMotion();
    cam.videoLoss();
    cam.videoRestored();
    const types = () => msgs('cam-2', 'event', since).map((m) => (m.decoded.channel === 'event' ? m.decoded.type : ''));
    await waitFor(() => ['motion', 'video_loss', 'video_restored'].every((t) => types().includes(t)), 'motion, video_loss, video_restored');
    expect(types().filter((t) => t === 'tamper')).toHaveLength(1);
  });

  it('re-subscribes to events after the camera was unreachable', async () => {
    const cam = fleet.cameras[0]!;
    await waitFor(() => bridge.getCamera('cam-1')!.eventsActive && cam.subscriptionCount > 0, 'cam-1 subscription again', 45_000);
    const since = broker.received.length;
    cam.raiseMotion();
    await waitFor(() => msgs('cam-1', 'event', since).some((m) => m.decoded.channel === 'event' && m.decoded.type === 'motion'), 'cam-1 motion');
  });

  it('fetchSnapshot returns a decodable JPEG; unknown cameras give a typed error', async () => {
    const bytes = await bridge.fetchSnapshot('cam-2');
    expect(bytes[0]).toBe(0xff);
    expect(bytes[1]).toBe(0xd8);
    const img = jpeg.decode(bytes);
    expect([img.width, img.height]).toEqual([320, 180]);
    await expect(bridge.fetchSnapshot('nope')).rejects.toMatchObject({ kind: 'unknown_camera' });
    await expect(bridge.fetchSnapshot('cam-bad')).rejects.toBeInstanceOf(CameraError);
    expect(bridge.camerasCovering({ deviceId: 'smoke-7' })).toEqual(['cam-1']);
    expect(bridge.camerasCovering({ deviceId: 'gate-1', buildingId: 'b-1' })).toEqual(['cam-1']);
    expect(bridge.camerasCovering({ deviceId: 'gate-2', buildingId: 'b-9', gridCellId: 'cell-2' })).toEqual(['cam-2']);
  });

  it('wrong password: clear error, camera unauthorized, status offline, backoff instead of a retry storm', async () => {
    const cam = fleet.cameras[2]!;
    await waitFor(() => bridge.getCamera('cam-bad')!.state === 'unauthorized', 'cam-bad unauthorized');
    const view = bridge.getCamera('cam-bad')!;
    expect(view.lastError).toMatch(/wrong username or password/);
    expect(view.nextAttemptAt).toBeGreaterThan(Date.now() - 1000);
    expect(view.config.password).toBe('***');
    await waitFor(() => lastStatus('cam-bad') === 'offline', 'cam-bad status offline');
    expect(telemetry('cam-bad').some((t) => t.raw.authorized === false && t.raw.reachable === true)).toBe(true);
    expect(logs.some((l) => /rejected our credentials/.test(l) && /"level":50/.test(l))).toBe(true);

    // With a 300 ms poll, retrying every poll would mean about 10 attempts in 3 s; the backoff allows 2 or 3.
    const before = cam.stats.authFailures;
    await sleep(3000);
    expect(cam.stats.authFailures - before).toBeLessThanOrEqual(3);
    expect(bridge.getCamera('cam-1')!.state).toBe('online');

    // The camera's password is reset to what the bridge holds; a forced poll recovers it at once.
    cam.setPassword('not-the-password');
    await bridge.pollNow('cam-bad');
    await waitFor(() => bridge.getCamera('cam-bad')!.state === 'online', 'cam-bad online after fix');
    await waitFor(() => lastStatus('cam-bad') === 'online', 'cam-bad status online');
  });

  it('published nothing the contract decoder rejects', () => {
    expect(broker.invalid).toEqual([]);
  });
});
