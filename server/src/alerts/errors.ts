import createError from '@fastify/error';

export const AlertErrors = {
  NotFound: createError<[string]>('ALERT_NOT_FOUND', 'alert %s not found', 404),
  AlreadyResolved: createError<[string]>('ALERT_RESOLVED', 'alert %s is already resolved', 409),
  BadCursor: createError('BAD_CURSOR', 'cursor is not one this hub gave: start again without it', 400),
  NoteRequired: createError('NOTE_REQUIRED', 'resolving an alert needs a note saying what was done', 400),
};
