export type CameraErrorKind = 'unauthorized' | 'unreachable' | 'protocol' | 'unknown_camera' | 'not_ready';

/** A failure talking to a camera, classified so callers can decide between backoff, offline and a bug report. */
export class CameraError extends Error {
  constructor(
    readonly kind: CameraErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CameraError';
  }
}

const AUTH_PATTERNS = [/not ?authori[sz]ed/i, /\bunauthori[sz]ed\b/i, /\b401\b/, /authentication failed/i, /access denied/i];
const NETWORK_PATTERNS = [
  /network error/i,
  /network timeout/i,
  /socket hang up/i,
  /\bE(CONNREFUSED|CONNRESET|HOSTUNREACH|NETUNREACH|TIMEDOUT|PIPE|ADDRNOTAVAIL)\b/,
  /timed out/i,
];

/** Maps the error texts of node-onvif, the onvif package and Node's http to our three cases. */
export function classifyError(err: unknown): CameraError {
  if (err instanceof CameraError) return err;
  const e = err as { message?: unknown; code?: unknown } | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const code = typeof e?.code === 'string' ? e.code : '';
  if (AUTH_PATTERNS.some((re) => re.test(message))) {
    return new CameraError('unauthorized', `authentication failed (wrong username or password): ${message}`, { cause: err });
  }
  if (NETWORK_PATTERNS.some((re) => re.test(message) || re.test(code))) {
    return new CameraError('unreachable', `camera unreachable: ${message}`, { cause: err });
  }
  return new CameraError('protocol', message, { cause: err });
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CameraError('unreachable', `${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
