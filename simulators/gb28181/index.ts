export { SimGbDevice, SIM_ALARM_CODES, type AlarmRequest, type SimAlarm, type SimDeviceOptions, type SimPlatform } from './device.ts';
export { startGbFleet, type GbFleet, type GbFleetOptions, type Misbehaviour } from './fleet.ts';
