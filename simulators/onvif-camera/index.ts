export { SimulatedCamera, type SimulatedCameraOptions, type CameraStats } from './camera.ts';
export { startCameraFleet, type FleetOptions, type CameraFleet } from './fleet.ts';
export { DiscoveryResponder, WSD_MULTICAST_ADDRESS, WSD_PORT } from './discovery.ts';
export { passwordDigest } from './wsse.ts';
export { PROFILES } from './responses.ts';
