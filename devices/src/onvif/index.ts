export { OnvifBridge, idFromUrn, type OnvifBridgeOptions, type OnvifBridgeEvents } from './bridge.ts';
export { loadCameraList, parseCameraList, xaddrOf, CameraConfigError, type CameraListFile, type DiscoveryConfig } from './config.ts';
export { camerasCovering, type CoverageTarget } from './coverage.ts';
export { probeDirected, probeMulticast, parseProbeMatches, type DiscoveredCamera } from './discovery.ts';
export { CameraError, type CameraErrorKind } from './errors.ts';
export { mapNotification } from './event-map.ts';
export type * from './types.ts';
