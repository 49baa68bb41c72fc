import type { Logger } from '../log.ts';
import type { UserRecord } from './roles.ts';
import type { UserStore } from './users.ts';

/**
 * The accounts for synchronous readers on a shared store (delivery looks up a grid worker's
 * accounts for every alert of a storm): the last list read, refreshed in the background when
 * older than `maxAgeMs`. An account created on another hub is seen within about that long.
 */
export class UserDirectory {
  private users: UserRecord[] = [];
  private readAt = 0;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly store: UserStore,
    private readonly log: Logger,
    private readonly maxAgeMs = 1000,
    private readonly clock: () => number = Date.now,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
  }

  stop(): void {}

  list(): UserRecord[] {
    if (this.clock() - this.readAt > this.maxAgeMs) void this.refresh();
    return this.users;
  }

  refresh(): Promise<void> {
    this.refreshing ??= this.store
      .list()
      .then((users) => {
        this.users = users;
        this.readAt = this.clock();
      })
      .catch((err: unknown) => this.log.warn({ err }, 'reading the accounts failed; using the last list'))
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }
}
