import path from 'node:path';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import type { DeviceKind, Readings } from '#devices';
import { DEFAULT_RETENTION, rollupFor, type Retention } from './types.ts';
import { asStoreUnavailable } from './errors.ts';
import type {
  AggregateRow,
  EventQuery,
  EventRow,
  StoredPoint,
  TelemetryQuery,
  TelemetryRow,
  TelemetryStore,
  LatestReadings,
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

  constructor(
    private readonly file: string,
    private readonly retention: Retention = DEFAULT_RETENTION,
  ) {
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
      CREATE TABLE IF NOT EXISTS telemetry_1m (
        device_id TEXT NOT NULL, bucket_ms INTEGER NOT NULL, sums TEXT NOT NULL, counts TEXT NOT NULL,
        PRIMARY KEY (device_id, bucket_ms)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS telemetry_1h (
        device_id TEXT NOT NULL, bucket_ms INTEGER NOT NULL, sums TEXT NOT NULL, counts TEXT NOT NULL,
        PRIMARY KEY (device_id, bucket_ms)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS rollup_state (name TEXT PRIMARY KEY, upto_ms INTEGER NOT NULL);
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
        // The key's seq column: the device's seq, or below zero the hub's receive number (reads show only the device's).
        const seq = p.seq ?? -1 - (p.u ?? 0);
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
    return this.reading(() => this.rawRows(q));
  }

  async queryAggregate(q: TelemetryQuery & { field: string; everyMs: number }): Promise<AggregateRow[]> {
    return this.reading(() => this.aggregateRows(q));
  }

  async queryEvents(q: EventQuery): Promise<EventRow[]> {
    return this.reading(() => this.eventRows(q));
  }

  async latest(_kind: DeviceKind, deviceId: string): Promise<LatestReadings> {
    return this.reading(() => this.latestRows(deviceId));
  }

  /** A file the store cannot read now (busy, I/O error, closed, full) is 503 like an unreachable InfluxDB; a bad query stays a bug. */
  private reading<T>(read: () => T): T {
    try {
      return read();
    } catch (err) {
      if (storeCannotAnswer(err)) throw asStoreUnavailable(err, this.location);
      throw err;
    }
  }

  private rawRows(q: TelemetryQuery): TelemetryRow[] {
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

  private aggregateRows(q: TelemetryQuery & { field: string; everyMs: number }): AggregateRow[] {
    const buckets = new Map<number, { sum: number; n: number }>();
    const add = (bucket: number, sum: number | null, n: number) => {
      if (sum === null || n === 0) return;
      const b = buckets.get(bucket) ?? { sum: 0, n: 0 };
      b.sum += sum;
      b.n += n;
      buckets.set(bucket, b);
    };
    // Wide windows read the rollups up to where they are complete, then raw rows for the rest.
    const res = rollupFor(q.everyMs);
    let rawFrom = q.from;
    if (res) {
      const upto = this.rollupUpto(res);
      if (upto > q.from) {
        const rows = this.db
          .prepare(
            `SELECT CAST(bucket_ms / @w AS INTEGER) * @w AS bucket, sum(json_extract(sums, @path)) AS s, sum(json_extract(counts, @path)) AS n
             FROM telemetry_${res} WHERE device_id = @d AND bucket_ms >= @from AND bucket_ms < @upto AND bucket_ms <= @to
             GROUP BY bucket`,
          )
          .all({ w: q.everyMs, path: `$.${q.field}`, d: q.deviceId, from: Math.floor(q.from), upto, to: Math.floor(q.to) }) as { bucket: number; s: number | null; n: number | null }[];
        for (const r of rows) add(r.bucket, r.s, r.n ?? 0);
        rawFrom = Math.max(q.from, upto);
      }
    }
    if (rawFrom <= q.to) {
      const windowUs = toMicros(q.everyMs);
      const rows = this.db
        .prepare(
          `SELECT CAST(ts_us / @w AS INTEGER) * @w AS bucket, sum(json_extract(readings, @path)) AS s, count(*) AS n
           FROM telemetry WHERE device_id = @d AND ts_us BETWEEN @from AND @to
             AND json_type(readings, @path) IN ('integer', 'real', 'true', 'false')
           GROUP BY bucket`,
        )
        .all({ w: windowUs, path: `$.${q.field}`, d: q.deviceId, from: toMicros(rawFrom), to: toMicros(q.to) }) as { bucket: number; s: number | null; n: number }[];
      for (const r of rows) add(r.bucket / 1000, r.s, r.n);
    }
    return [...buckets.entries()]
      .sort((a, b) => a[0] - b[0])
      .slice(0, q.limit)
      .map(([ts, b]) => ({ ts, value: b.sum / b.n }));
  }

  private rollupUpto(res: '1m' | '1h'): number {
    const row = this.db.prepare('SELECT upto_ms FROM rollup_state WHERE name = ?').get(res) as { upto_ms: number } | undefined;
    return row?.upto_ms ?? 0;
  }

  /**
   * Rolls closed minutes into telemetry_1m and closed hours into telemetry_1h (sums and counts per
   * numeric field, so wider windows average exactly), then drops rows past their retention.
   * Late points (older than a minute's grace) miss the rollup but stay in raw until it expires.
   */
  async maintain(now: number): Promise<void> {
    this.rollMinutes(Math.floor((now - 60_000) / 60_000) * 60_000);
    this.rollHours(Math.floor((now - 120_000) / 3_600_000) * 3_600_000);
    const day = 86_400_000;
    this.db.prepare('DELETE FROM telemetry WHERE ts_us < ?').run(toMicros(now - this.retention.rawDays * day));
    this.db.prepare('DELETE FROM events WHERE ts_us < ?').run(toMicros(now - this.retention.rollup1mDays * day));
    this.db.prepare('DELETE FROM telemetry_1m WHERE bucket_ms < ?').run(now - this.retention.rollup1mDays * day);
    this.db.prepare('DELETE FROM telemetry_1h WHERE bucket_ms < ?').run(now - this.retention.rollup1hDays * day);
  }

  private rollMinutes(closedUpto: number): void {
    let from = this.rollupUpto('1m');
    if (from === 0) {
      const first = this.db.prepare('SELECT min(ts_us) AS t FROM telemetry').get() as { t: number | null };
      if (first.t === null) return;
      from = Math.floor(first.t / 1000 / 60_000) * 60_000;
    }
    // At most a day per call, so one call never holds the writer thread for long.
    const to = Math.min(closedUpto, from + 86_400_000);
    if (to <= from) return;
    const rows = this.db
      .prepare('SELECT device_id, ts_us, readings FROM telemetry WHERE ts_us >= ? AND ts_us < ?')
      .iterate(toMicros(from), toMicros(to)) as IterableIterator<{ device_id: string; ts_us: number; readings: string }>;
    const acc = new Map<string, { sums: Record<string, number>; counts: Record<string, number> }>();
    for (const row of rows) {
      const bucket = Math.floor(row.ts_us / 1000 / 60_000) * 60_000;
      const key = `${row.device_id}|${bucket}`;
      let a = acc.get(key);
      if (!a) acc.set(key, (a = { sums: {}, counts: {} }));
      const readings = JSON.parse(row.readings) as Readings;
      for (const [f, v] of Object.entries(readings)) {
        const num = typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : undefined;
        if (num === undefined) continue;
        a.sums[f] = (a.sums[f] ?? 0) + num;
        a.counts[f] = (a.counts[f] ?? 0) + 1;
      }
    }
    this.saveRollup('1m', acc, to);
  }

  private rollHours(closedUpto: number): void {
    let from = this.rollupUpto('1h');
    const minutesUpto = this.rollupUpto('1m');
    if (from === 0) {
      const first = this.db.prepare('SELECT min(bucket_ms) AS t FROM telemetry_1m').get() as { t: number | null };
      if (first.t === null) return;
      from = Math.floor(first.t / 3_600_000) * 3_600_000;
    }
    const to = Math.min(closedUpto, Math.floor(minutesUpto / 3_600_000) * 3_600_000, from + 7 * 86_400_000);
    if (to <= from) return;
    const rows = this.db
      .prepare('SELECT device_id, bucket_ms, sums, counts FROM telemetry_1m WHERE bucket_ms >= ? AND bucket_ms < ?')
      .iterate(from, to) as IterableIterator<{ device_id: string; bucket_ms: number; sums: string; counts: string }>;
    const acc = new Map<string, { sums: Record<string, number>; counts: Record<string, number> }>();
    for (const row of rows) {
      const key = `${row.device_id}|${Math.floor(row.bucket_ms / 3_600_000) * 3_600_000}`;
      let a = acc.get(key);
      if (!a) acc.set(key, (a = { sums: {}, counts: {} }));
      const sums = JSON.parse(row.sums) as Record<string, number>;
      const counts = JSON.parse(row.counts) as Record<string, number>;
      for (const f of Object.keys(sums)) {
        a.sums[f] = (a.sums[f] ?? 0) + sums[f]!;
        a.counts[f] = (a.counts[f] ?? 0) + (counts[f] ?? 0);
      }
    }
    this.saveRollup('1h', acc, to);
  }

  private saveRollup(res: '1m' | '1h', acc: Map<string, { sums: Record<string, number>; counts: Record<string, number> }>, upto: number): void {
    const insert = this.db.prepare(`INSERT OR REPLACE INTO telemetry_${res} (device_id, bucket_ms, sums, counts) VALUES (?, ?, ?, ?)`);
    this.db.transaction(() => {
      for (const [key, a] of acc) {
        const [device, bucket] = key.split('|') as [string, string];
        insert.run(device, Number(bucket), JSON.stringify(a.sums), JSON.stringify(a.counts));
      }
      this.db.prepare('INSERT OR REPLACE INTO rollup_state (name, upto_ms) VALUES (?, ?)').run(res, upto);
    })();
  }

  private eventRows(q: EventQuery): EventRow[] {
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

  /**
   * One pass over the device's raw rows: per reading, the value of the row with the newest ts
   * (SQLite takes the bare columns from the row that holds the max()).
   */
  private latestRows(deviceId: string): LatestReadings {
    const rows = this.db
      .prepare(
        `SELECT r.key AS name, r.value AS value, r.type AS type, max(t.ts_us) AS ts_us
         FROM telemetry t, json_each(t.readings) r WHERE t.device_id = ? GROUP BY r.key`,
      )
      .all(deviceId) as { name: string; value: number | string; type: string; ts_us: number }[];
    const out: LatestReadings = {};
    for (const row of rows) {
      const value = row.type === 'true' ? true : row.type === 'false' ? false : row.type === 'integer' || row.type === 'real' || row.type === 'text' ? row.value : undefined;
      if (value !== undefined) out[row.name] = { value, ts: row.ts_us / 1000 };
    }
    return out;
  }

  async ping(): Promise<boolean> {
    return this.db?.open ?? false;
  }

  /** Counts rows; used by tests and the bench to compare sent against stored. */
  count(kind: 'telemetry' | 'events'): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM ${kind === 'events' ? 'events' : 'telemetry'}`).get() as { n: number }).n;
  }
}

const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|CORRUPT|CANTOPEN|FULL|NOTADB|READONLY|PROTOCOL)/;

function storeCannotAnswer(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.test(code)) return true;
  return err instanceof TypeError && /database connection is not open/.test(err.message);
}
