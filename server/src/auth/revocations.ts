/** Who lost access: every session of an account (or a display's credential), or one session. */
export type Revocation = { username: string; display?: true } | { digest: string };

/**
 * Tells live connections (the /ws layer) at once that sessions or a display were revoked, so a
 * socket opened before is closed now rather than at its next reconnect.
 */
export class Revocations {
  private readonly listeners = new Set<(r: Revocation) => void>();

  on(fn: (r: Revocation) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(r: Revocation): void {
    for (const fn of this.listeners) fn(r);
  }
}
