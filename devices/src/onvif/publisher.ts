import type { MqttClient } from 'mqtt';
import { deviceTopic } from '#devices';
import type { CameraEventPayload, CameraTelemetryPayload } from './types.ts';

/**
 * Writes camera readings on the contract topics. Telemetry QoS 0 (the next poll supersedes a lost one),
 * events QoS 1, status retained QoS 1 so a subscriber joining later learns whether each camera is up.
 */
export class CameraPublisher {
  constructor(
    private readonly client: MqttClient | undefined,
    private readonly communityId: string,
    private readonly onError: (err: Error) => void,
  ) {}

  telemetry(deviceId: string, payload: CameraTelemetryPayload): void {
    this.publish(deviceId, 'telemetry', JSON.stringify(payload), { qos: 0, retain: false });
  }

  event(deviceId: string, payload: CameraEventPayload): void {
    this.publish(deviceId, 'event', JSON.stringify(payload), { qos: 1, retain: false });
  }

  status(deviceId: string, online: boolean): void {
    this.publish(deviceId, 'status', online ? 'online' : 'offline', { qos: 1, retain: true });
  }

  private publish(deviceId: string, channel: 'telemetry' | 'event' | 'status', body: string, opts: { qos: 0 | 1; retain: boolean }): void {
    if (!this.client) return;
    const topic = deviceTopic({ communityId: this.communityId, kind: 'camera', deviceId, channel });
    // mqtt.js queues while disconnected; errors here are reported, never thrown into the poll loop.
    this.client.publish(topic, body, opts, (err) => {
      if (err) this.onError(err);
    });
  }
}
