import createError from '@fastify/error';

/** Errors of the case routes: 409 for an action the stage does not allow, 403 for one the role does not. */
export const CaseErrors = {
  NotFound: createError<[string]>('CASE_NOT_FOUND', 'case %s not found', 404),
  WrongStage: createError<[string, string]>('CASE_WRONG_STAGE', 'a case in stage %s cannot be %s', 409),
  RoleForbidden: createError<[string, string]>('CASE_ROLE_FORBIDDEN', 'a %s may not %s a case', 403),
  Conflict: createError<[string]>('CASE_CONFLICT', '%s', 409),
  BadInput: createError<[string]>('CASE_BAD_INPUT', '%s', 400),
  UnknownCategory: createError<[string]>('CASE_UNKNOWN_CATEGORY', 'unknown case category %s (the config file lists them under cases.categories)', 400),
  TooLarge: createError<[string]>('CASE_TOO_LARGE', '%s', 413),
};
