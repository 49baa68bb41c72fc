// An admin list (MQTT accounts, wall screens): loaded on creation, reloaded after each action; errors shown, not thrown.
export class Listing<T> {
  items = $state.raw<T[]>([]);
  error = $state<string | null>(null);

  constructor(private readonly fetchAll: () => Promise<T[]>) {
    void this.load();
  }

  async load(): Promise<void> {
    try {
      this.items = await this.fetchAll();
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  /** Runs an action, then reloads the list. */
  async act(fn: () => Promise<unknown>): Promise<void> {
    this.error = null;
    try {
      await fn();
      await this.load();
    } catch (err) {
      this.error = (err as Error).message;
    }
  }
}
