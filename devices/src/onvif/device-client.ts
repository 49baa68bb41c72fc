import nodeOnvif from 'node-onvif';
import type { OnvifProfile } from 'node-onvif';
import { classifyError, withTimeout } from './errors.ts';
import type { CameraDetails, CameraProfileInfo } from './types.ts';

export interface DeviceClientOptions {
  xaddr: string;
  username?: string;
  password?: string;
  /** Preferred media profile token. */
  profile?: string;
  timeoutMs: number;
}

/**
 * The ONVIF device and media services of one camera, through node-onvif.
 * A fresh OnvifDevice per connect: node-onvif appends profiles on every init(), so reuse would duplicate them.
 */
export class DeviceClient {
  private device: InstanceType<typeof nodeOnvif.OnvifDevice> | undefined;

  constructor(private readonly opts: DeviceClientOptions) {}

  /** GetSystemDateAndTime, GetCapabilities, GetDeviceInformation, GetProfiles, GetStreamUri, GetSnapshotUri. */
  async connect(): Promise<CameraDetails> {
    const device = new nodeOnvif.OnvifDevice({
      xaddr: this.opts.xaddr,
      user: this.opts.username ?? '',
      pass: this.opts.password ?? '',
    });
    let info: Record<string, string>;
    try {
      // node-onvif runs about ten requests in a row here, each with its own 3 s limit.
      info = await withTimeout(device.init(), this.opts.timeoutMs * 4, 'ONVIF connect');
    } catch (err) {
      throw classifyError(err);
    }
    this.device = device;
    const profiles = device.getProfileList().map(toProfileInfo);
    const profile = profiles.find((p) => p.token === this.opts.profile) ?? profiles[0];
    return {
      manufacturer: info.Manufacturer,
      model: info.Model,
      firmwareVersion: info.FirmwareVersion,
      serialNumber: info.SerialNumber,
      hardwareId: info.HardwareId,
      profiles,
      profile,
      eventsSupported: device.services.events !== null,
    };
  }

  /**
   * Camera clock minus ours, in seconds. ONVIF gives whole seconds, so the camera time is taken as the middle of
   * its second and compared with the middle of our request; the error stays within about half a second plus jitter.
   */
  async clockDrift(): Promise<{ driftS: number; rttMs: number }> {
    const device = this.requireDevice();
    const t0 = Date.now();
    let result;
    try {
      result = await withTimeout(device.services.device.getSystemDateAndTime(), this.opts.timeoutMs, 'GetSystemDateAndTime');
    } catch (err) {
      throw classifyError(err);
    }
    const t1 = Date.now();
    const cameraMs = parseUtcDateTime(result.data);
    if (cameraMs === undefined) throw classifyError(new Error('GetSystemDateAndTime: no UTCDateTime in the answer'));
    const driftS = (cameraMs + 500 - (t0 + t1) / 2) / 1000;
    return { driftS: Math.round(driftS * 10) / 10, rttMs: t1 - t0 };
  }

  /** An authenticated call, for cameras without a snapshot URI: GetSystemDateAndTime alone needs no credentials. */
  async checkAuth(): Promise<void> {
    const device = this.requireDevice();
    try {
      await withTimeout(device.services.device.getDeviceInformation(), this.opts.timeoutMs, 'GetDeviceInformation');
    } catch (err) {
      throw classifyError(err);
    }
  }

  private requireDevice() {
    if (!this.device) throw classifyError(new Error('not connected'));
    return this.device;
  }
}

function toProfileInfo(p: OnvifProfile): CameraProfileInfo {
  const enc = p.video.encoder;
  const num = (n: number | undefined) => (typeof n === 'number' && Number.isFinite(n) ? n : undefined);
  return {
    token: p.token,
    name: p.name,
    encoding: enc?.encoding,
    width: num(enc?.resolution.width),
    height: num(enc?.resolution.height),
    fps: num(enc?.framerate),
    bitrateKbps: num(enc?.bitrate),
    streamUri: p.stream.rtsp || p.stream.udp || p.stream.http || undefined,
    snapshotUri: p.snapshot || undefined,
  };
}

function parseUtcDateTime(data: Record<string, unknown>): number | undefined {
  const sdt = (data.GetSystemDateAndTimeResponse as Record<string, any> | undefined)?.SystemDateAndTime;
  const utc = sdt?.UTCDateTime;
  const t = utc?.Time;
  const d = utc?.Date;
  if (!t || !d) return undefined;
  const n = (v: unknown) => Number.parseInt(String(v), 10);
  const ms = Date.UTC(n(d.Year), n(d.Month) - 1, n(d.Day), n(t.Hour), n(t.Minute), n(t.Second));
  return Number.isFinite(ms) ? ms : undefined;
}
