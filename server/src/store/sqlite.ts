import path from 'node:path';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import type { DeviceKind, Readings } from '#devices';
import type {
  AggregateRow,
  EventQuery,
  EventRow,
  StoredPoint,
  TelemetryQuery,
  TelemetryRow,
  TelemetryStore,
} from './types.ts';

/** Microseconds make (device, ts, seq) a key even when ts carries fractions of a millisecond. */
const toMicros = (ms: number) => Math.round(ms * 1000);

/**
 * The embedded default store: one SQLite file under DATA_DIR, so the hub runs with zero setup.
 * One row a message (readings as JSON) keeps inserts cheap; queries extract the field they need.
 */
export class SqliteTelemetryStore implements TelemetryStore {
  readonly name = 'sqlite';
  readonly location: string;
  private db!: Database.Database;
  private insertTelemetry!: Database.Statement;
  private insertEvent!: Database.Statement;
  private writeMany!: (points: StoredPoint[]) => void;

  constructor(private readonly file: string) {
    this.location = file;
  }

  async start(): Promise<void> {
    if (this.file !== ':memory:') fs.mkdirSync(path.dirname(this.file), { recursive: true });
    this.db = new Database(this.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS telemetry (
        device_id TEXT NOT NULL, ts_us INTEGER NOT NULL, seq INTEGER NOT NULL,
        kind TEXT NOT NULL, community_id TEXT NOT NULL, cell_id TEXT,
        readings TEXT NOT NULL,
        PRIMARY KEY (device_id, ts_us, seq)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS events (
        device_id TEXT NOT NULL, ts_us INTEGER NOT NULL, seq INTEGER NOT NULL,
        kind TEXT NOT NULL, community_id TEXT NOT NULL, cell_id TEXT,
        type TEXT NOT NULL, readings TEXT NOT NULL, detail TEXT NOT NULL,
        PRIMARY KEY (device_id, ts_us, seq, type)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS events_by_time ON events (ts_us);
      CREATE INDEX IF NOT EXISTS events_by_community ON events (community_id, ts_us);
    `);
    // INSERT OR REPLACE makes a replayed batch land on the same rows: idempotent writes.
    this.insertTelemetry = this.db.prepare(
      'INSERT OR REPLACE INTO telemetry (device_id, ts_us, seq, kind, community_id, cell_id, readings) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertEvent = this.db.prepare(
      'INSERT OR REPLACE INTO events (device_id, ts_us, seq, kind, community_id, cell_id, type, readings, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.writeMany = this.db.transaction((points: StoredPoint[]) => {
      for (const p of points) {
        const seq = p.seq ?? -1;
        if (p.m === 't') {
          this.insertTelemetry.run(p.d, toMicros(p.ts), seq, p.k, p.c, p.g, JSON.stringify(p.r));
        } else {
          this.insertEvent.run(p.d, toMicros(p.ts), seq, p.k, p.c, p.g, p.ty ?? '', JSON.stringify(p.r), JSON.stringify(p.x ?? {}));
        }
      }
    });
  }

  async stop(): Promise<void> {
    this.db?.close();
  }

  async write(points: StoredPoint[]): Promise<void> {
    this.writeMany(points);
  }

  async queryRaw(q: TelemetryQuery): Promise<TelemetryRow[]> {
    const rows = this.db
      .prepare(
        `SELECT ts_us, seq, readings FROM telemetry WHERE device_id = ? AND ts_us BETWEEN ? AND ?
         ORDER BY ts_us LIMIT ?`,
      )
      .all(q.deviceId, toMicros(q.from), toMicros(q.to), q.limit) as { ts_us: number; seq: number; readings: string }[];
    const out: TelemetryRow[] = [];
    for (const row of rows) {
      let readings = JSON.parse(row.readings) as Readings;
      if (q.field) {
        if (!(q.field in readings)) continue;
        readings = { [q.field]: readings[q.field]! };
      }
      out.push({ ts: row.ts_us / 1000, ...(row.seq >= 0 ? { seq: row.seq } : {}), readings });
    }
    return out;
  }

  async queryAggregate(q: TelemetryQuery & { field: string; everyMs: number }): Promise<AggregateRow[]> {
    const windowUs = toMicros(q.everyMs);
    const rows = this.db
      .prepare(
        `SELECT CAST(ts_us / @w AS INTEGER) * @w AS bucket, avg(json_extract(readings, @path)) AS value
         FROM telemetry WHERE device_id = @d AND ts_us BETWEEN @from AND @to
           AND json_type(readings, @path) IN ('integer', 'real', 'true', 'false')
         GROUP BY bucket ORDER BY bucket LIMIT @limit`,
      )
      .all({ w: windowUs, path: `$.${q.field}`, d: q.deviceId, from: toMicros(q.from), to: toMicros(q.to), limit: q.limit }) as {
      bucket: number;
      value: number | null;
    }[];
    return rows.map((r) => ({ ts: r.bucket / 1000, value: r.value }));
  }

  async queryEvents(q: EventQuery): Promise<EventRow[]> {
    const where = ['ts_us BETWEEN @from AND @to'];
    if (q.deviceId) where.push('device_id = @deviceId');
    if (q.communityId) where.push('community_id = @communityId');
    if (q.type) where.push('type = @type');
    const rows = this.db
      .prepare(
        `SELECT device_id, kind, community_id, ts_us, seq, type, readings, detail FROM events
         WHERE ${where.join(' AND ')} ORDER BY ts_us DESC LIMIT @limit`,
      )
      .all({
        from: toMicros(q.from),
        to: toMicros(q.to),
        deviceId: q.deviceId ?? null,
        communityId: q.communityId ?? null,
        type: q.type ?? null,
        limit: q.limit,
      }) as {
      device_id: string;
      kind: DeviceKind;
      community_id: string;
      ts_us: number;
      seq: number;
      type: string;
      readings: string;
      detail: string;
    }[];
    return rows.map((r) => ({
      deviceId: r.device_id,
      kind: r.kind,
      communityId: r.community_id,
      ts: r.ts_us / 1000,
      ...(r.seq >= 0 ? { seq: r.seq } : {}),
      type: r.type,
      readings: JSON.parse(r.readings) as Readings,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
  }

  async ping(): Promise<boolean> {
    return this.db?.open ?? false;
  }

  /** Counts rows; used by tests and the bench to compare sent against stored. */
  count(kind: 'telemetry' | 'events'): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM ${kind === 'events' ? 'events' : 'telemetry'}`).get() as { n: number }).n;
  }
}
