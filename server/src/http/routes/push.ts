import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { PeopleDelivery } from '../../notify/people/delivery.ts';
import { DeliveryErrors } from '../../notify/people/errors.ts';
import type { PushSubscriptionRecord } from '../../notify/people/webpush/subscriptions.ts';
import { audit } from '../plugins/audit.ts';

const B64URL = '^[A-Za-z0-9_-]+={0,2}$';
const SubscriptionBody = Type.Object({
  endpoint: Type.String({ maxLength: 2000 }),
  expirationTime: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  keys: Type.Object({ p256dh: Type.String({ pattern: B64URL, maxLength: 200 }), auth: Type.String({ pattern: B64URL, maxLength: 100 }) }),
});
const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f-]{36}$' }) });
type Subscribe = { Body: Static<typeof SubscriptionBody> };
type OnSubscription = { Params: Static<typeof IdParams> };

/** What a user sees of one of their subscriptions: which browser, since when; never its keys. */
function publicSubscription(s: PushSubscriptionRecord): Record<string, unknown> {
  return { id: s.id, endpointOrigin: new URL(s.endpoint).origin, userAgent: s.userAgent, createdAt: s.createdAt, lastSuccessAt: s.lastSuccessAt };
}

function checkSubscription(body: Static<typeof SubscriptionBody>): void {
  let url: URL;
  try {
    url = new URL(body.endpoint);
  } catch {
    throw new DeliveryErrors.BadSubscription('endpoint is not a URL');
  }
  if (url.protocol !== 'https:') throw new DeliveryErrors.BadSubscription('endpoint must be https (RFC 8030)');
  if (Buffer.from(body.keys.p256dh, 'base64url').length !== 65) throw new DeliveryErrors.BadSubscription('keys.p256dh must be an uncompressed P-256 point (65 bytes)');
  if (Buffer.from(body.keys.auth, 'base64url').length !== 16) throw new DeliveryErrors.BadSubscription('keys.auth must be 16 bytes');
}

/** Web Push: the hub's VAPID key and each user's own subscriptions (docs/delivery.md). */
export const pushRoutes: FastifyPluginAsync<{ delivery: PeopleDelivery }> = async (app, { delivery }) => {
  app.get('/vapid-public-key', async () => ({ publicKey: delivery.vapid.publicKey }));

  app.get('/subscriptions', async (req) => ({ subscriptions: delivery.subscriptions.list(req.user!.username).map(publicSubscription) }));

  app.post<Subscribe>(
    '/subscriptions',
    { schema: { body: SubscriptionBody }, config: { audit: audit<Subscribe>({ action: 'push.subscribe', detail: (req) => ({ origin: URL.canParse(req.body.endpoint) ? new URL(req.body.endpoint).origin : null }) }) } },
    async (req, reply) => {
      checkSubscription(req.body);
      const sub = delivery.subscriptions.add(req.user!.username, req.body, req.headers['user-agent'] ?? null);
      return reply.status(201).send({ id: sub.id, subscription: publicSubscription(sub) });
    },
  );

  app.delete<OnSubscription>(
    '/subscriptions/:id',
    { schema: { params: IdParams }, config: { audit: audit<OnSubscription>({ action: 'push.unsubscribe', target: (req) => req.params.id }) } },
    async (req, reply) => {
      if (!delivery.subscriptions.remove(req.user!.username, req.params.id)) throw new DeliveryErrors.SubscriptionNotFound(req.params.id);
      return reply.status(204).send();
    },
  );
};
