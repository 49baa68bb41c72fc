import { createHash, randomUUID } from 'node:crypto';
import createError from '@fastify/error';
import type { Alert } from '#devices';
import type { AlertService } from '../alerts/service.ts';
import type { Annotation } from '../alerts/changes.ts';
import { AlertErrors } from '../alerts/errors.ts';
import type { Logger } from '../log.ts';
import type { PgSql } from '../state/pg/connect.ts';
import { fenced, LeaseLost } from './leases.ts';

/** `{"id","communityId"}`: a command waits in `alert_commands` for the community's holder. */
export const ALERT_COMMAND_CHANNEL = 'hub_alert_command';
/** `{"id"}`: the holder has written the command's result. */
export const ALERT_COMMAND_DONE_CHANNEL = 'hub_alert_command_done';

/** What a person (or a channel) does to an alert; the actor travels beside it. */
export type AlertCommand =
  | { action: 'acknowledge' }
  | { action: 'assign'; assignee: string }
  | { action: 'resolve'; note: string }
  | { action: 'annotate'; annotation: Annotation };

export const CommandErrors = {
  HolderSilent: createError<[string, string]>('HOLDER_DID_NOT_ANSWER', '持有社区 %s 的中心没有应答，请稍后再试 · the hub holding community %s did not answer: try again', 503),
  Expired: createError('COMMAND_EXPIRED', 'the command waited too long for the community\'s holder and was dropped: try again', 503),
  BadKey: createError('BAD_IDEMPOTENCY_KEY', 'Idempotency-Key is 8 to 100 letters, digits or _ . : -', 400),
};

export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,100}$/;

/** The history detail naming the command an entry came from: the new holder's proof it was applied. */
const TAG = 'command';

/**
 * One command through the alert service, exactly as an HTTP route on the holder runs it; `commandId`
 * (forwarded commands) is kept in the history entry the command adds.
 */
export function applyAlertCommand(alerts: AlertService, alertId: string, actor: string, cmd: AlertCommand, commandId?: string): Alert {
  const tag = commandId ? { [TAG]: commandId } : undefined;
  switch (cmd.action) {
    case 'acknowledge':
      return alerts.acknowledge(alertId, actor, tag);
    case 'assign':
      return alerts.assign(alertId, cmd.assignee, actor, tag);
    case 'resolve':
      return alerts.resolve(alertId, actor, cmd.note, tag);
    case 'annotate': {
      const alert = alerts.annotate(alertId, { ...cmd.annotation, ...(tag ? { detail: { ...cmd.annotation.detail, ...tag } } : {}) });
      if (!alert) throw new AlertErrors.NotFound(alertId);
      return alert;
    }
  }
}

/** What the holder wrote back: the alert after the command, or the error the local path would have thrown. */
type Outcome = { alert: Alert } | { error: { statusCode: number; code: string; message: string } };

/** An error the holder answered with, rethrown on the requesting hub: the same status and body. */
class HolderAnswer extends Error {
  constructor(readonly statusCode: number, readonly code: string, message: string) {
    super(message);
  }
}

export interface AlertCommandsDeps {
  sql: PgSql;
  hubId: string;
  alerts: AlertService;
  /** The epoch this hub acts under for the community (held and resumed), else undefined. */
  epochOf: (community: string) => number | undefined;
  /** The communities this hub acts for now. */
  held: () => string[];
  /** Resolves once the community's alert changes so far are committed; rejects when its lease is lost. */
  committed: (community: string) => Promise<void>;
  log: Logger;
  /** How long a request waits for the holder's answer. */
  timeoutMs?: number;
  /** How often held communities are swept for pending commands (a takeover, a lost notice), and a waiter rereads its row. */
  pollMs?: number;
  /** A command nobody applied within this long is dropped rather than applied late. */
  maxAgeMs?: number;
}

/**
 * Commands on alerts of communities another hub holds (issue 20): the receiving hub inserts the
 * command into `alert_commands` and notifies; the holder applies it through its AlertService,
 * waits until the alert change is committed, then writes the result (fenced) and notifies back,
 * and the receiving hub answers the HTTP request with it. A holder that dies before writing the
 * result leaves the row pending: the next holder's sweep finds it and, if the alert's history
 * already holds the entry tagged with the command's id, only writes the result, so a command is
 * applied once. The row's id is the idempotency key: a retried request reads the first answer.
 */
export class AlertCommands {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly inFlight = new Set<string>();
  private readonly listening: { unlisten(): Promise<void> }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;
  private stopped = false;
  /** Forwarded commands this hub applied as holder (tests, metrics). */
  applied = 0;

  constructor(private readonly d: AlertCommandsDeps) {}

  private get timeoutMs(): number {
    return this.d.timeoutMs ?? 10_000;
  }

  private get pollMs(): number {
    return this.d.pollMs ?? 1000;
  }

  async start(): Promise<void> {
    const { sql } = this.d;
    this.listening.push(
      await sql.listen(ALERT_COMMAND_CHANNEL, (payload) => {
        const n = parse(payload);
        if (n && typeof n.id === 'string' && typeof n.communityId === 'string' && this.d.epochOf(n.communityId) !== undefined) void this.process(n.id);
      }),
      await sql.listen(ALERT_COMMAND_DONE_CHANNEL, (payload) => {
        const n = parse(payload);
        if (n && typeof n.id === 'string') for (const wake of this.waiters.get(n.id) ?? []) wake();
      }),
    );
    this.timer = setInterval(() => void this.sweep(), this.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.all(this.listening.splice(0).map((l) => l.unlisten().catch(() => {})));
    for (const set of this.waiters.values()) for (const wake of set) wake();
  }

  /**
   * Runs a command from this hub's API. Held here and without a key: at once, as one hub does.
   * Otherwise through the table, and the answer is the holder's (this hub's when it holds it).
   */
  async run(alert: Pick<Alert, 'id' | 'communityId'>, actor: string, cmd: AlertCommand, key?: string): Promise<Alert> {
    const { id: alertId, communityId: community } = alert;
    if (key === undefined && this.d.epochOf(community) !== undefined) return applyAlertCommand(this.d.alerts, alertId, actor, cmd);
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) throw new CommandErrors.BadKey();
    // One key names one command of one person on one alert.
    const id = key === undefined ? randomUUID() : createHash('sha256').update(JSON.stringify([actor, alertId, cmd.action, key])).digest('base64url');
    const done = this.wait(id);
    try {
      const { sql } = this.d;
      await sql.begin(async (tx) => {
        await tx`INSERT INTO alert_commands (id, alert_id, community_id, command, created_at)
          VALUES (${id}, ${alertId}, ${community}, ${tx.json({ actor, ...cmd } as never)}, ${Date.now()}) ON CONFLICT (id) DO NOTHING`;
        await tx`SELECT pg_notify(${ALERT_COMMAND_CHANNEL}, ${JSON.stringify({ id, communityId: community })})`;
      });
      if (this.d.epochOf(community) !== undefined) void this.process(id);
      return await this.outcome(id, community, done);
    } finally {
      done.release();
    }
  }

  /** A wake-up for the command's done notice, registered before the command is sent. */
  private wait(id: string): { next: () => Promise<void>; release: () => void } {
    let signalled = false;
    let wake: (() => void) | undefined;
    const fire = () => {
      signalled = true;
      wake?.();
    };
    const set = this.waiters.get(id) ?? new Set<() => void>();
    set.add(fire);
    this.waiters.set(id, set);
    return {
      // The done notice, or pollMs, whichever comes first.
      next: () =>
        new Promise<void>((resolve) => {
          if (signalled) {
            signalled = false;
            return resolve();
          }
          const done = () => {
            clearTimeout(t);
            wake = undefined;
            signalled = false;
            resolve();
          };
          const t = setTimeout(done, this.pollMs);
          wake = done;
        }),
      release: () => {
        set.delete(fire);
        if (set.size === 0) this.waiters.delete(id);
      },
    };
  }

  /** The holder's answer, read from the row: on its done notice, or every pollMs (a lost notice). */
  private async outcome(id: string, community: string, done: { next: () => Promise<void> }): Promise<Alert> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const [row] = await this.d.sql<{ result: Outcome | null; done_at: number | null }[]>`SELECT result, done_at FROM alert_commands WHERE id = ${id}`;
      if (row?.done_at != null && row.result) {
        if ('alert' in row.result) return row.result.alert;
        throw new HolderAnswer(row.result.error.statusCode, row.result.error.code, row.result.error.message);
      }
      if (Date.now() >= deadline || this.stopped) throw new CommandErrors.HolderSilent(community, community);
      await done.next();
    }
  }

  /** Pending commands of the communities held: after a takeover, or a notice nobody heard. */
  private async sweep(): Promise<void> {
    const held = this.d.held();
    if (this.sweeping || this.stopped || held.length === 0) return;
    this.sweeping = true;
    try {
      const rows = await this.d.sql<{ id: string }[]>`SELECT id FROM alert_commands WHERE done_at IS NULL AND community_id = ANY(${held}) ORDER BY created_at`;
      for (const r of rows) await this.process(r.id);
    } catch (err) {
      this.d.log.warn({ err }, 'reading pending alert commands failed');
    } finally {
      this.sweeping = false;
    }
  }

  /** The holder's side: applies one pending command once, and writes its outcome under the lease. */
  private async process(id: string): Promise<void> {
    if (this.inFlight.has(id) || this.stopped) return;
    this.inFlight.add(id);
    const { sql, hubId } = this.d;
    try {
      const [row] = await sql<{ alert_id: string; community_id: string; command: AlertCommand & { actor: string }; created_at: number }[]>`
        SELECT alert_id, community_id, command, created_at FROM alert_commands WHERE id = ${id} AND done_at IS NULL`;
      if (!row) return;
      const epoch = this.d.epochOf(row.community_id);
      // Not this hub's (any more): its holder's sweep picks it up.
      if (epoch === undefined) return;
      const outcome = await this.outcomeOf(id, row);
      if (!outcome) return;
      await sql.begin(async (tx) => {
        await fenced(tx, hubId, row.community_id, epoch);
        await tx`UPDATE alert_commands SET done_at = ${Date.now()}, result = ${tx.json(outcome as never)}, error = ${'error' in outcome ? outcome.error.code : null}
          WHERE id = ${id} AND done_at IS NULL`;
        await tx`SELECT pg_notify(${ALERT_COMMAND_DONE_CHANNEL}, ${JSON.stringify({ id })})`;
      });
    } catch (err) {
      if (!(err instanceof LeaseLost)) this.d.log.warn({ err, command: id }, 'applying a forwarded alert command failed; it stays pending');
    } finally {
      this.inFlight.delete(id);
    }
  }

  /** Applies the command unless its history entry is already there; undefined when the lease went meanwhile. */
  private async outcomeOf(id: string, row: { alert_id: string; community_id: string; command: AlertCommand & { actor: string }; created_at: number }): Promise<Outcome | undefined> {
    if (Date.now() - row.created_at > (this.d.maxAgeMs ?? 5 * 60_000)) return errorOutcome(new CommandErrors.Expired());
    // A holder that applied it and died before writing the result: the committed alert says so.
    const [stored] = await this.d.sql<{ data: Alert }[]>`SELECT data FROM alerts WHERE id = ${row.alert_id}`;
    if (stored && stored.data.history.some((h) => h.detail?.[TAG] === id)) return { alert: this.d.alerts.get(row.alert_id) ?? stored.data };
    const { actor, ...cmd } = row.command;
    let alert: Alert;
    try {
      alert = applyAlertCommand(this.d.alerts, row.alert_id, actor, cmd as AlertCommand, id);
    } catch (err) {
      return errorOutcome(err);
    }
    try {
      await this.d.committed(row.community_id);
    } catch {
      return undefined;
    }
    this.applied++;
    return { alert };
  }
}

function errorOutcome(err: unknown): Outcome {
  const e = err as { statusCode?: number; code?: string; message?: string };
  if (typeof e.statusCode === 'number' && typeof e.code === 'string') return { error: { statusCode: e.statusCode, code: e.code, message: e.message ?? '' } };
  return { error: { statusCode: 500, code: 'INTERNAL', message: 'internal error' } };
}

function parse(payload: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(payload);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
