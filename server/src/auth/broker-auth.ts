import type { AedesOptions, Client } from 'aedes';
import { Counter } from 'prom-client';
import type { HubMetrics } from '../metrics.ts';
import type { Logger } from '../log.ts';
import { RateLimitedLog } from '../log.ts';
import type { MqttAcl } from './mqtt-acl.ts';
import { isShared } from './topic-filter.ts';
import type { MqttCredential, MqttCredentialRepository } from './mqtt-credentials.ts';

export type MqttRefusal =
  | 'no_credentials'
  | 'bad_credentials'
  | 'client_id_mismatch'
  | 'client_id_reserved'
  | 'publish_denied'
  | 'retain_denied'
  | 'subscribe_denied'
  | 'shared_subscription_denied'
  | 'credential_revoked'
  | ConnectionRefusal;

/** Refusals of the connection guard (server/src/ingest/connection-guard.ts), before any MQTT is parsed. */
export type ConnectionRefusal = 'too_many_connections' | 'too_many_pending' | 'preauth_too_large' | 'packet_too_large' | 'not_connect_first';

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
const IDENTIFIER_REJECTED = 2;

/**
 * The client ids only the hub may use: its two lanes and its ONVIF bridges. A device provisioned
 * under one of them could otherwise take over the hub's session.
 */
export function hubClientIds(base: string): (clientId: string) => boolean {
  return (id) => id === base || id === `${base}-events` || id.startsWith(`${base}-onvif-`);
}

/**
 * A gateway runs several connections (site uplinks, the simulator's pool) under one login, so its
 * client ids are namespaced by its username inside the broker: `/` occurs in no username, device id
 * or hub id, so a gateway can never collide with any of them, nor with another gateway.
 */
export const gatewaySessionId = (username: string, clientId: string) => `${username}/${clientId}`;

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
  /** The hub's own client ids (hubClientIds(MQTT_CLIENT_ID)); nobody else may use them. */
  reservedClientId?: (clientId: string) => boolean;
}): Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'> {
  const principals = new WeakMap<Client, MqttCredential>();
  const loginMarks = new WeakMap<Client, number>();
  /** A connection whose credential was revoked or rotated after it logged in. */
  const revoked = (client: Client, credential: MqttCredential) => deps.credentials.changedSince(credential.username, loginMarks.get(client) ?? 0);
  const refused = mqttRefusalCounter(deps.metrics);
  const log = new RateLimitedLog(deps.log);
  const refuse = (reason: MqttRefusal, detail: Record<string, unknown>) => {
    refused.inc({ reason });
    log.warn(reason, detail, `MQTT ${reason.replaceAll('_', ' ')}`);
  };
  const reserved = deps.reservedClientId ?? (() => false);
  const rejectId = (done: (err: never, ok: boolean) => void) => done(Object.assign(new Error('identifier rejected'), { returnCode: IDENTIFIER_REJECTED }) as never, false);
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
          // Checked before aedes registers the id: a refused CONNECT disconnects nobody.
          if (credential.type === 'device' && client.id !== credential.username) {
            refuse('client_id_mismatch', { clientId: client.id.slice(0, 64), username: credential.username });
            return rejectId(done);
          }
          if (credential.type === 'device' && reserved(client.id)) {
            refuse('client_id_reserved', { clientId: client.id.slice(0, 64), username: credential.username });
            return rejectId(done);
          }
          if (credential.type === 'gateway') (client as { id: string }).id = gatewaySessionId(credential.username, client.id);
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
      // A retained event or reading would be replayed to the hub at every resubscribe: an alarm
      // raised again at each restart. Only a status is state.
      if (credential && credential.type !== 'hub' && packet.retain && !deps.acl.mayRetain(packet.topic)) {
        refuse('retain_denied', { username: credential.username, topic: packet.topic.slice(0, 200) });
        return done(new Error('retain not allowed'));
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
      // A member of the hub's share group would take its turn of the hub's messages.
      if (credential && credential.type !== 'hub' && isShared(sub.topic)) {
        refuse('shared_subscription_denied', { username: credential.username, topic: sub.topic.slice(0, 200) });
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
