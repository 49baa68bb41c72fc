import { t } from './locale.svelte.ts';

/**
 * The busy/error state behind one alert's buttons (acknowledge, assign, resolve), shared by the
 * control-room drawer and the grid worker's card so both behave and word failures alike.
 */
export class AlertAction {
  busy = $state(false);
  error = $state<string | null>(null);

  async run(fn: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.error = null;
    try {
      await fn();
    } catch (err) {
      this.error = t('alert.failed', { message: err instanceof Error ? err.message : String(err) });
    } finally {
      this.busy = false;
    }
  }

  /** Resolving needs a note saying what was done; without one nothing is sent. */
  resolve(note: string, send: (note: string) => Promise<void>): void {
    const text = note.trim();
    if (!text) {
      this.error = t('alert.noteRequired');
      return;
    }
    void this.run(() => send(text));
  }
}
