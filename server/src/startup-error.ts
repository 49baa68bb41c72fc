/**
 * Start-up failures the operator can fix (a bad path, a malformed config file, a full disk)
 * are reported as one line naming the file, the line when there is one, and the cause; the
 * process then exits 2. Anything else is a bug and keeps its stack trace.
 */
export class StartupError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(`${file}${line !== undefined ? `:${line}${column !== undefined ? `:${column}` : ''}` : ''}: ${reason}`);
  }
}

const ERRNO: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'is a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'exists and is in the way',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

const SQLITE: Record<string, string> = {
  SQLITE_CANTOPEN: 'cannot open the database file (missing directory, or no permission)',
  SQLITE_READONLY: 'the database is read-only (read-only file system, or no write permission)',
  SQLITE_FULL: 'no space left on device',
  SQLITE_PERM: 'permission denied',
  SQLITE_CORRUPT: 'the database file is corrupt',
  SQLITE_NOTADB: 'the file is not an SQLite database',
  SQLITE_IOERR: 'input/output error',
  SQLITE_BUSY: 'the database is locked by another process (is another hub running on this DATA_DIR?)',
};

/** A plain-words cause for a file-system or SQLite error, or undefined when it is neither. */
export function fileErrorReason(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (ERRNO[code]) return `${ERRNO[code]} (${code})`;
  const sqlite = Object.keys(SQLITE).find((k) => code === k || code.startsWith(`${k}_`));
  return sqlite ? `${SQLITE[sqlite]} (${code})` : undefined;
}

/** Rethrows a file-system or SQLite error as a StartupError naming `file`; anything else unchanged. */
export function asStartupError(err: unknown, file: string): unknown {
  if (err instanceof StartupError) return err;
  const reason = fileErrorReason(err);
  if (!reason) return err;
  const e = err as { path?: unknown; address?: unknown; port?: unknown };
  // A listen error (EACCES on port 80) concerns an address, not DATA_DIR.
  if (typeof e.port === 'number') return new StartupError(`${typeof e.address === 'string' ? e.address : ''}:${e.port}`, reason);
  return new StartupError(typeof e.path === 'string' ? e.path : file, reason);
}

/** The one line to print for a start-up failure, or undefined when it is a bug (keep the stack). */
export function startupErrorLine(err: unknown, dataDir?: string): string | undefined {
  let e = err;
  if (!(e instanceof StartupError)) e = asStartupError(err, dataDir ?? '(DATA_DIR)');
  if (!(e instanceof StartupError)) return undefined;
  return `hub: cannot start: ${e.message}`.replace(/\s*\n\s*/g, ' ');
}
