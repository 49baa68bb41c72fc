import { alertTopic } from '#devices';
import type { AlertChange } from '../alerts/changes.ts';
import type { NotificationChannel } from './channel.ts';

/** The MQTT adapter's publish (the events lane, never retained). */
export type MqttPublish = (topic: string, payload: string, qos: 0 | 1) => void;

/**
 * The contract's alert topic: the whole alert as JSON on `community/{c}/alerts/{id}`, QoS 1, not
 * retained, on every change of its state or content. Annotations (delivery results) are not
 * alert changes for MQTT subscribers: nothing is published for them.
 */
export class MqttAlertChannel implements NotificationChannel {
  readonly name = 'mqtt';

  constructor(private readonly publish: MqttPublish) {}

  deliver(change: AlertChange): void {
    switch (change.type) {
      case 'annotated':
        return;
      default:
        this.publish(alertTopic(change.alert.communityId, change.alert.id), JSON.stringify(change.alert), 1);
    }
  }
}
