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

/**
 * The listeners of one kind of payload. Each runs in its own try/catch so one failing part
 * cannot take down the others (or the caller: ingest, the alert lifecycle).
 */
export class Listeners<T> {
  private readonly list: Listener<T>[] = [];

  constructor(private readonly onError: (err: unknown, payload: T) => void) {}

  /** Returns the function that removes the listener again. */
  add(listener: Listener<T>): () => void {
    this.list.push(listener);
    return () => {
      const i = this.list.indexOf(listener);
      if (i >= 0) this.list.splice(i, 1);
    };
  }

  emit(payload: T): void {
    for (const listener of this.list) {
      try {
        listener(payload);
      } catch (err) {
        this.onError(err, payload);
      }
    }
  }
}

interface BusEvents {
  deviceMessage: DeviceMessage;
  deviceState: { deviceId: string; online: boolean; at: number };
}

/** Typed in-process bus of device messages and device state. */
export class EventBus {
  private readonly listeners: { [K in keyof BusEvents]: Listeners<BusEvents[K]> };

  constructor(log: Logger) {
    const failed = (event: keyof BusEvents) => (err: unknown) => log.error({ err, event }, 'event listener failed');
    this.listeners = { deviceMessage: new Listeners(failed('deviceMessage')), deviceState: new Listeners(failed('deviceState')) };
  }

  on<K extends keyof BusEvents>(event: K, listener: Listener<BusEvents[K]>): () => void {
    return this.listeners[event].add(listener);
  }

  emit<K extends keyof BusEvents>(event: K, payload: BusEvents[K]): void {
    this.listeners[event].emit(payload);
  }
}
