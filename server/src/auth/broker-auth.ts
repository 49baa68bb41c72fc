import type { AedesOptions, Client } from 'aedes';
import { Counter } from 'prom-client';
import type { HubMetrics } from '../metrics.ts';
import type { Logger } from '../log.ts';
import { RateLimitedLog } from '../log.ts';
import type { MqttAcl } from './mqtt-acl.ts';
import type { MqttCredential, MqttCredentialRepository } from './mqtt-credentials.ts';

export type MqttRefusal = 'no_credentials' | 'bad_credentials' | 'publish_denied' | 'subscribe_denied' | 'credential_revoked';

/** Prometheus counter for refused MQTT operations; registered on the hub's own registry. */
export function mqttRefusalCounter(metrics: HubMetrics): Counter<'reason'> {
  const existing = metrics.registry.getSingleMetric('hub_mqtt_refused_total');
  if (existing) return existing as Counter<'reason'>;
  return new Counter({
    name: 'hub_mqtt_refused_total',
    help: 'MQTT connections and operations the embedded broker refused, by reason',
    labelNames: ['reason'] as const,
    registers: [metrics.registry],
  });
}

const NOT_AUTHORIZED = 5;

/**
 * The embedded broker's policy hooks: every connection authenticates (CONNACK 5 "not
 * authorized" otherwise), every publish and subscription goes through the ACL. A refused
 * publish closes the connection (MQTT 3.1.1 has no other way to say no); a refused
 * subscription gets the failure return code 0x80. A connection whose credential is revoked or
 * rotated is closed at its next publish, subscription or delivery.
 */
export function brokerAuthHooks(deps: {
  credentials: MqttCredentialRepository;
  acl: MqttAcl;
  metrics: HubMetrics;
  log: Logger;
}): Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'> {
  const principals = new WeakMap<Client, MqttCredential>();
  const loginMarks = new WeakMap<Client, number>();
  /** A connection whose credential was revoked or rotated after it logged in. */
  const revoked = (client: Client, credential: MqttCredential) => deps.credentials.changedSince(credential.username, loginMarks.get(client) ?? 0);
  const refused = mqttRefusalCounter(deps.metrics);
  const log = new RateLimitedLog(deps.log);
  const refuse = (reason: MqttRefusal, detail: Record<string, unknown>) => {
    refused.inc({ reason });
    log.warn(reason, detail, `MQTT ${reason.replace('_', ' ')}`);
  };
  return {
    authenticate: (client, username, password, done) => {
      if (!username || !password) {
        refuse('no_credentials', { clientId: client.id });
        return done(Object.assign(new Error('not authorized'), { returnCode: NOT_AUTHORIZED }) as never, false);
      }
      deps.credentials.verify(username, password).then(
        (credential) => {
          if (!credential) {
            refuse('bad_credentials', { clientId: client.id, username: username.slice(0, 64) });
            return done(Object.assign(new Error('not authorized'), { returnCode: NOT_AUTHORIZED }) as never, false);
          }
          principals.set(client, credential);
          loginMarks.set(client, deps.credentials.loginMark());
          done(null, true);
        },
        (err: unknown) => done(err as never, false),
      );
    },
    authorizePublish: (client, packet, done) => {
      // client is null for the broker's own publications (none today); refuse to be safe.
      const credential = client ? principals.get(client) : undefined;
      if (client && credential && revoked(client, credential)) {
        refuse('credential_revoked', { username: credential.username, clientId: client.id });
        return done(new Error('credential revoked')); // closes the connection
      }
      if (credential && deps.acl.canPublish(credential, packet.topic)) return done(null);
      refuse('publish_denied', { username: credential?.username, topic: packet.topic.slice(0, 200) });
      done(new Error('publish not authorized'));
    },
    authorizeSubscribe: (client, sub, done) => {
      const credential = client ? principals.get(client) : undefined;
      if (client && credential && revoked(client, credential)) {
        refuse('credential_revoked', { username: credential.username, clientId: client.id });
        client.close();
        return done(null, null);
      }
      if (credential && deps.acl.canSubscribe(credential, sub.topic)) return done(null, sub);
      refuse('subscribe_denied', { username: credential?.username, topic: sub.topic.slice(0, 200) });
      done(null, null);
    },
    // A revoked subscriber would otherwise keep receiving on its open connection.
    authorizeForward: (client, packet) => {
      const credential = principals.get(client);
      if (credential && revoked(client, credential)) {
        refuse('credential_revoked', { username: credential.username, clientId: client.id });
        client.close();
        return null;
      }
      return packet;
    },
  };
}
