import createError from '@fastify/error';
import { StoreErrors } from './store/errors.ts';

/** The error catalogue: every error the HTTP API returns, with a stable code. */
export const Errors = {
  DeviceNotFound: createError<[string]>('DEVICE_NOT_FOUND', 'device %s not found', 404),
  BadField: createError<[string]>('BAD_FIELD', 'field "%s" is not a valid reading name', 400),
  BadRange: createError<[string]>('BAD_RANGE', 'bad time range: %s', 400),
  BadNumber: createError<[string]>('BAD_NUMBER', '%s must be a finite number', 400),
  NotFound: createError<[string]>('NOT_FOUND', '%s not found', 404),
  StoreUnavailable: StoreErrors.Unavailable,
};
