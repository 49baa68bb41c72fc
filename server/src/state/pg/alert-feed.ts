import type { Alert } from '#devices';
import type { Logger } from '../../log.ts';
import type { PgSql } from './connect.ts';

/**
 * The owner hub of an alert writes its row to `alerts` and, in the same transaction,
 * `pg_notify('hub_alert_change', '{"id","communityId","type","hub"}')`: delivered on commit only,
 * so a listener never sees a change that was rolled back (a fenced write of a hub that lost its
 * lease), and never before the row it names is readable.
 */
export const ALERT_CHANGE_CHANNEL = 'hub_alert_change';

export interface AlertChangeNotice {
  id: string;
  communityId: string;
  type: string;
  hub: string;
}

export interface AlertFeedDeps {
  sql: PgSql;
  /** This hub: its own changes are already broadcast locally by its owner side. */
  hubId: string;
  /** The hub's live broadcaster (WebSockets, each filtered by its caller's scope). */
  onAlert: (alert: Alert) => void;
  log: Logger;
}

/** Hubs' clocks may differ by this much: a resync reads back this far before the newest change seen. */
const RESYNC_MARGIN_MS = 30_000;
/** At most this many notices a minute are logged as refused (the rest only counted). */
const REFUSED_LOGGED_PER_MINUTE = 5;

/**
 * Any hub serves any dashboard: the alert changes of communities other hubs own, heard by
 * LISTEN and handed to this hub's live broadcaster. A notice names the alert; the row is read
 * for its state, so a notice carries no data of its own and many notices for one alert read it
 * once. The client re-listens after a reconnect (porsager postgres' listen); notices sent
 * meanwhile are lost, so then the rows updated since the newest one seen are sent again (a
 * dashboard takes a repeated alert as an update).
 */
export class PgAlertFeed {
  private listening: { unlisten(): Promise<void> } | undefined;
  private newestSeen = 0;
  private readonly pending = new Set<string>();
  private draining: Promise<void> | undefined;
  private stopped = false;
  private refusedLog = { minute: 0, n: 0 };
  /** Notices refused, by reason (not JSON, not the documented shape). */
  readonly refused = new Map<string, number>();
  /** Alert changes handed on (tests and metrics). */
  delivered = 0;

  constructor(private readonly d: AlertFeedDeps) {}

  async start(): Promise<void> {
    let first = true;
    this.listening = await this.d.sql.listen(
      ALERT_CHANGE_CHANNEL,
      (payload) => this.heard(payload),
      () => {
        if (!first) void this.resync();
        first = false;
      },
    );
    const [row] = await this.d.sql<{ m: number | null }[]>`SELECT max(updated_at) AS m FROM alerts`;
    this.newestSeen = Math.max(this.newestSeen, row?.m ?? 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.listening?.unlisten().catch(() => {});
    this.listening = undefined;
    await this.draining;
  }

  private heard(payload: string): void {
    if (this.stopped) return;
    const notice = parseNotice(payload);
    if (typeof notice === 'string') return this.refuse(notice, payload);
    if (notice.hub === this.d.hubId) return;
    this.pending.add(notice.id);
    this.drain();
  }

  /** One read at a time for every alert noticed meanwhile: changes of one alert go out in order. */
  private drain(): void {
    if (this.draining || this.stopped) return;
    this.draining = (async () => {
      while (this.pending.size > 0 && !this.stopped) {
        const ids = [...this.pending];
        this.pending.clear();
        try {
          const rows = await this.d.sql<{ data: Alert; updated_at: number }[]>`SELECT data, updated_at FROM alerts WHERE id = ANY(${ids}) ORDER BY updated_at`;
          this.handOn(rows);
        } catch (err) {
          // The connection dropped mid-read: the resync after it returns covers these.
          this.d.log.warn({ err, alerts: ids.length }, 'reading changed alerts from PostgreSQL failed');
        }
      }
    })().finally(() => (this.draining = undefined));
  }

  /** After a reconnect: the rows changed while no notice could arrive. */
  private async resync(): Promise<void> {
    try {
      const since = this.newestSeen - RESYNC_MARGIN_MS;
      const rows = await this.d.sql<{ data: Alert; updated_at: number }[]>`SELECT data, updated_at FROM alerts WHERE updated_at > ${since} ORDER BY updated_at`;
      this.d.log.info({ alerts: rows.length }, 'resynced the live alerts after a PostgreSQL reconnect');
      this.handOn(rows);
    } catch (err) {
      this.d.log.warn({ err }, 'resyncing the live alerts after a PostgreSQL reconnect failed');
    }
  }

  private handOn(rows: readonly { data: Alert; updated_at: number }[]): void {
    for (const r of rows) {
      this.newestSeen = Math.max(this.newestSeen, r.updated_at);
      this.delivered++;
      this.d.onAlert(r.data);
    }
  }

  private refuse(reason: string, payload: string): void {
    this.refused.set(reason, (this.refused.get(reason) ?? 0) + 1);
    const minute = Math.floor(Date.now() / 60_000);
    if (this.refusedLog.minute !== minute) this.refusedLog = { minute, n: 0 };
    if (this.refusedLog.n++ < REFUSED_LOGGED_PER_MINUTE) this.d.log.warn({ reason, payload: payload.slice(0, 200), channel: ALERT_CHANGE_CHANNEL }, 'refused an alert change notice');
  }
}

/** The documented notice, or why not. */
export function parseNotice(payload: string): AlertChangeNotice | 'not_json' | 'bad_shape' {
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    return 'not_json';
  }
  const o = v as Partial<Record<keyof AlertChangeNotice, unknown>> | null;
  if (!o || typeof o !== 'object' || typeof o.id !== 'string' || typeof o.communityId !== 'string' || typeof o.type !== 'string' || typeof o.hub !== 'string') return 'bad_shape';
  return { id: o.id, communityId: o.communityId, type: o.type, hub: o.hub };
}
