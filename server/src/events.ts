import type { DecodedEvent, DecodedStatus, DecodedTelemetry, DeviceKind } from '#devices';
import type { Logger } from './log.ts';

/** A valid device message after decoding, with the device's place in the grid. */
export interface DeviceMessageBase {
  deviceId: string;
  kind: DeviceKind;
  communityId: string;
  gridCellId: string | null;
  receivedAt: number;
}
/** The decoded payload (devices/src/payloads.ts) with the device it came from. */
export type TelemetryMessage = DeviceMessageBase & DecodedTelemetry;
export type EventMessage = DeviceMessageBase & DecodedEvent;
export type StatusMessage = DeviceMessageBase & DecodedStatus;
export type DeviceMessage = TelemetryMessage | EventMessage | StatusMessage;

type Listener<T> = (payload: T) => void;

interface BusEvents {
  deviceMessage: DeviceMessage;
  deviceState: { deviceId: string; online: boolean; at: number };
}

/**
 * Typed in-process bus. Each listener runs in its own try/catch so one failing part
 * cannot take down ingest.
 */
export class EventBus {
  private readonly listeners: { [K in keyof BusEvents]: Listener<BusEvents[K]>[] } = {
    deviceMessage: [],
    deviceState: [],
  };

  constructor(private readonly log: Logger) {}

  on<K extends keyof BusEvents>(event: K, listener: Listener<BusEvents[K]>): () => void {
    this.listeners[event].push(listener);
    return () => {
      const list = this.listeners[event];
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
    };
  }

  emit<K extends keyof BusEvents>(event: K, payload: BusEvents[K]): void {
    for (const listener of this.listeners[event]) {
      try {
        listener(payload);
      } catch (err) {
        this.log.error({ err, event }, 'event listener failed');
      }
    }
  }
}
