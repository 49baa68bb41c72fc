import createError from '@fastify/error';

export const DeliveryErrors = {
  BadSubscription: createError<[string]>('BAD_PUSH_SUBSCRIPTION', 'not a push subscription: %s', 400),
  SubscriptionNotFound: createError<[string]>('PUSH_SUBSCRIPTION_NOT_FOUND', 'push subscription %s not found', 404),
};
