/** One camera of the static list (or adopted from discovery). */
export interface CameraConfig {
  /** Device id on MQTT: `[A-Za-z0-9_-]{1,64}`. */
  id: string;
  name?: string;
  /** Device-service URL, e.g. http://10.0.0.21/onvif/device_service. Either this or `host`. */
  xaddr?: string;
  host?: string;
  port?: number;
  /** WS-Discovery endpoint (urn:uuid:...); lets a discovered camera match this entry when its address changes. */
  urn?: string;
  username?: string;
  password?: string;
  /** Media profile token to read fps/bitrate and snapshots from; the camera's first profile when absent. */
  profile?: string;
  gridCellId?: string;
  buildingId?: string;
  /** Device ids or building ids this camera can see, for snapshots attached to their alerts. */
  coverage?: string[];
  /** Subscribe to ONVIF events (pull-point). Default true. */
  events?: boolean;
}

export type CameraState = 'unknown' | 'online' | 'offline' | 'unauthorized';

export interface CameraProfileInfo {
  token: string;
  name: string;
  encoding?: string;
  width?: number;
  height?: number;
  fps?: number;
  bitrateKbps?: number;
  streamUri?: string;
  snapshotUri?: string;
}

/** What the bridge learned about a camera when it connected. */
export interface CameraDetails {
  manufacturer?: string;
  model?: string;
  firmwareVersion?: string;
  serialNumber?: string;
  hardwareId?: string;
  profiles: CameraProfileInfo[];
  /** The profile used for telemetry and snapshots. */
  profile: CameraProfileInfo | undefined;
  eventsSupported: boolean;
}

/** A camera as the bridge sees it right now (returned by `listCameras()` / `getCamera()`). */
export interface CameraView {
  id: string;
  config: CameraConfig;
  xaddr: string;
  state: CameraState;
  details: CameraDetails | undefined;
  /** Human-readable reason of the last failure (e.g. wrong password), cleared on success. */
  lastError: string | undefined;
  lastPollAt: number | undefined;
  /** When the next connection attempt is allowed while unauthorized (backoff), epoch ms. */
  nextAttemptAt: number | undefined;
  eventsActive: boolean;
}

/** Contract `camera` telemetry plus extra numeric/boolean fields the contract allows. */
export interface CameraTelemetryPayload {
  ts: number;
  seq: number;
  reachable: boolean;
  clock_drift_s?: number;
  fps?: number;
  bitrate_kbps?: number;
  /** Time to fetch one snapshot, ms (extension). */
  snapshot_ms?: number;
  /** Round trip of GetSystemDateAndTime, ms (extension). */
  rtt_ms?: number;
  /** false while the camera rejects our credentials (extension). */
  authorized?: boolean;
}

export type CameraEventType = 'motion' | 'tamper' | 'video_loss' | 'video_restored' | 'line_crossing';

export interface CameraEventPayload {
  type: CameraEventType;
  ts: number;
  seq: number;
  /** The ONVIF topic that caused it, e.g. tns1:VideoSource/GlobalSceneChange/ImagingService. */
  onvif_topic: string;
  /** The camera's own timestamp of the event (its clock may drift). */
  camera_time?: string;
}
