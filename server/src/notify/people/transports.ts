import type Database from 'better-sqlite3';
import type { Alert } from '#devices';
import type { LoadedConfigFile } from '../../grid/config-file.ts';
import type { Logger } from '../../log.ts';
import type { PersonChannelName, PersonTransport } from './transport.ts';
import { buildProviderTransports } from './provider-transports.ts';

/** What a transport may be built from. */
export interface PersonTransportDeps {
  /** the checked config file (its `delivery` section, worker accounts, ...) */
  file: LoadedConfigFile;
  db: Database.Database;
  dataDir: string;
  log: Logger;
  clock: () => number;
  /**
   * Acknowledges as a recipient from a channel's own callback (a WeCom card button, a DingTalk
   * action): the same path as a one-tap link, so the ladder stops everywhere and the audit log
   * names the channel. Throws (404/409) for an unknown or resolved alert.
   */
  acknowledge: (a: { alertId: string; recipientId: string; channel: PersonChannelName; ip?: string }) => Promise<Alert>;
}

/**
 * The person transports besides Web Push (which the delivery builds itself from its own state):
 * a new transport is one module and one line here. A transport the config does not enable is
 * simply not in the list; a channel without a transport is skipped by the ladder.
 */
export function personTransports(d: PersonTransportDeps): PersonTransport[] {
  // WeCom, DingTalk, SMS and voice, as the config file's `providers:` section enables them.
  return buildProviderTransports(d.file.providerConfig ?? {}, {
    acknowledge: async (alertId, recipientId, channel) => d.acknowledge({ alertId, recipientId, channel }),
    people: () => d.file.workers ?? [],
    clock: d.clock,
    log: d.log,
  });
}
