import createError from '@fastify/error';

/** Authentication and authorization errors: 401 means "who are you", 403 "not you", 429 "not now". */
export const AuthErrors = {
  Unauthorized: createError('UNAUTHORIZED', 'authentication required: log in, or send Authorization: Bearer <token>', 401),
  BadCredentials: createError('BAD_CREDENTIALS', 'wrong username or password', 401),
  Throttled: createError<[number]>('LOGIN_THROTTLED', 'too many failed logins: try again in %d s', 429),
  Forbidden: createError<[string]>('FORBIDDEN', '%s', 403),
  Csrf: createError('CSRF_REJECTED', 'cross-site request refused: send the X-Requested-With header or a same-origin Origin', 403),
  RateLimited: createError<[number]>('RATE_LIMITED', 'too many requests: retry in %d s', 429),
  UserExists: createError<[string]>('USER_EXISTS', 'user %s already exists', 409),
  UserNotFound: createError<[string]>('USER_NOT_FOUND', 'user %s not found', 404),
  WeakPassword: createError<[number]>('WEAK_PASSWORD', 'password must be %d to 256 characters', 400),
  SetupClosed: createError('SETUP_CLOSED', 'setup is closed: an account already exists, or the setup token is wrong', 403),
  CredentialExists: createError<[string]>('CREDENTIAL_EXISTS', 'MQTT user %s already has a credential; rotate it with POST /api/devices/{id}/credentials', 409),
  CredentialNotFound: createError<[string]>('CREDENTIAL_NOT_FOUND', 'MQTT user %s has no credential', 404),
  ReservedId: createError<[string]>('RESERVED_ID', "%s is one of the hub's own MQTT client ids (MQTT_CLIENT_ID); choose another device id", 409),
  BadScope: createError<[string]>('BAD_SCOPE', '%s', 400),
};
