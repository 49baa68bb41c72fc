import http from 'node:http';
import https from 'node:https';
import * as Influx from 'influx';
import type { DeviceKind, Readings } from '#devices';
import { parseInfluxUrl } from '../config.ts';
import { DEFAULT_RETENTION, rollupFor, type Retention } from './types.ts';
import { EVENTS_MEASUREMENT, LineProtocolEncoder } from './line-protocol.ts';
import type {
  AggregateRow,
  EventQuery,
  EventRow,
  StoredPoint,
  TelemetryQuery,
  TelemetryRow,
  TelemetryStore,
} from './types.ts';

/** The store rejected the data itself (e.g. a field type conflict); retrying cannot help. */
export class StoreRejectedError extends Error {}

const nanoToMs = (t: Influx.INanoDate) => Number(BigInt(t.getNanoTime()) / 1000n) / 1000;
const msToNanoLiteral = (ms: number) => `${BigInt(Math.round(ms * 1000)) * 1000n}`;
/** The end of a range includes the seq digits that pointNanos puts below the microsecond. */
const msToNanoLiteralEnd = (ms: number) => `${BigInt(Math.round(ms * 1000)) * 1000n + 999n}`;

/** InfluxDB 1.x through the `influx` package: a measurement per kind plus one for events. */
const WRITE_TIMEOUT_MS = 30_000;

export class InfluxTelemetryStore implements TelemetryStore {
  readonly name = 'influxdb';
  readonly location: string;
  readonly database: string;
  private readonly influx: Influx.InfluxDB;
  private readonly encoder = new LineProtocolEncoder();
  private readonly writeUrl: URL;
  private readonly writeHeaders: Record<string, string>;
  private readonly agent: http.Agent;
  private databaseReady = false;

  constructor(
    url: string,
    private readonly retention: Retention = DEFAULT_RETENTION,
  ) {
    const parsed = parseInfluxUrl(url);
    this.database = parsed.database;
    this.location = `${parsed.protocol}://${parsed.host}:${parsed.port}/${parsed.database}`;
    this.influx = new Influx.InfluxDB({ ...parsed, pool: { maxRetries: 0, requestTimeout: 30_000 } });
    this.writeUrl = new URL(`${parsed.protocol}://${parsed.host.includes(':') ? `[${parsed.host}]` : parsed.host}:${parsed.port}/write?db=${encodeURIComponent(parsed.database)}&precision=n`);
    this.writeHeaders = {};
    this.agent = new (parsed.protocol === 'https' ? https : http).Agent({ keepAlive: true, maxSockets: 8 });
    if (parsed.username !== undefined) {
      this.writeHeaders.authorization = `Basic ${Buffer.from(`${parsed.username}:${parsed.password ?? ''}`).toString('base64')}`;
    }
  }

  async start(): Promise<void> {
    // InfluxDB may be down at start; the journal holds the data and ensureDatabase runs before each write.
    try {
      await this.ensureDatabase();
    } catch {
      /* retried by write() */
    }
  }

  async stop(): Promise<void> {
    this.agent.destroy();
  }

  private async ensureDatabase(): Promise<void> {
    if (this.databaseReady) return;
    try {
      await this.influx.createDatabase(this.database); // idempotent in InfluxDB 1.x
      await this.ensureRetention();
    } catch (err) {
      // Stores that speak only the line protocol (VictoriaMetrics, Telegraf listeners) have no
      // /query: a 4xx there means "nothing to create", not "down".
      if (!/A 4\d\d /.test(err instanceof Error ? err.message : String(err))) throw err;
    }
    this.databaseReady = true;
  }

  /**
   * Raw points go to the default policy "raw" (kept rawDays); continuous queries roll them up
   * into "rollup_1m" and "rollup_1h" (mean per field, named mean_<field>), so disk stays bounded
   * and long-range charts read a few points per hour instead of thousands.
   */
  private async ensureRetention(): Promise<void> {
    const db = Influx.escape.quoted(this.database);
    const policies = new Set((await this.influx.showRetentionPolicies(this.database)).map((p) => p.name));
    const policy = async (name: string, days: number, isDefault: boolean) => {
      const verb = policies.has(name) ? 'ALTER' : 'CREATE';
      await this.influx.queryRaw(`${verb} RETENTION POLICY "${name}" ON ${db} DURATION ${days}d REPLICATION 1${isDefault ? ' DEFAULT' : ''}`);
    };
    await policy('raw', this.retention.rawDays, true);
    await policy('rollup_1m', this.retention.rollup1mDays, false);
    await policy('rollup_1h', this.retention.rollup1hDays, false);
    const existing = new Set((await this.influx.showContinousQueries(this.database)).map((q) => q.name));
    const measurements = '/^(smoke|gate|fire_station|camera)$/';
    for (const [name, rp, every] of [['cq_rollup_1m', 'rollup_1m', '1m'], ['cq_rollup_1h', 'rollup_1h', '1h']] as const) {
      if (existing.has(name)) continue;
      await this.influx.queryRaw(
        `CREATE CONTINUOUS QUERY "${name}" ON ${db} BEGIN SELECT mean(*) INTO ${db}."${rp}".:MEASUREMENT FROM ${db}."raw".${measurements} GROUP BY time(${every}), * END`,
      );
    }
  }

  /**
   * One POST of line protocol to /write (InfluxDB 1.x, and any store that speaks it), through
   * node:http with keep-alive: with fetch() InfluxDB spent twice the CPU on the same writes.
   */
  async write(points: StoredPoint[]): Promise<void> {
    await this.ensureDatabase();
    const { status, text } = await this.post(this.encoder.encode(points));
    if (status === 204 || status === 200) return;
    const message = `A ${status} error occurred: ${text}`;
    if (/database not found/.test(message)) {
      this.databaseReady = false;
      throw new Error(message);
    }
    // A 4xx other than a missing database means the data itself was refused; InfluxDB has
    // already stored the rest of a partial write, so replaying would block the journal forever.
    if (status >= 400 && status < 500) throw new StoreRejectedError(message);
    throw new Error(message);
  }

  private post(body: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = (this.writeUrl.protocol === 'https:' ? https : http).request(
        this.writeUrl,
        { method: 'POST', agent: this.agent, headers: { ...this.writeHeaders, 'content-length': Buffer.byteLength(body) }, timeout: WRITE_TIMEOUT_MS },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer in ${WRITE_TIMEOUT_MS} ms`)));
      req.on('error', (err: Error & { code?: string }) => reject(new Error(`InfluxDB write to ${this.location} failed: ${err.code ?? err.message}`)));
      req.end(body);
    });
  }

  async queryRaw(q: TelemetryQuery): Promise<TelemetryRow[]> {
    const select = q.field ? `${Influx.escape.quoted(q.field)}, "seq"` : '*';
    const rows = await this.influx.query<Record<string, unknown> & { time: Influx.INanoDate }>(
      `SELECT ${select} FROM ${Influx.escape.quoted(q.kind)} WHERE "device" = ${Influx.escape.stringLit(q.deviceId)}
       AND time >= ${msToNanoLiteral(q.from)} AND time <= ${msToNanoLiteralEnd(q.to)} ORDER BY time ASC LIMIT ${q.limit}`,
    );
    const out: TelemetryRow[] = [];
    for (const row of rows) {
      const readings: Readings = {};
      for (const [key, value] of Object.entries(row)) {
        if (key === 'time' || key === 'seq' || value === null) continue;
        if (['community', 'cell', 'device', 'kind'].includes(key)) continue;
        if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') readings[key] = value;
      }
      if (q.field && !(q.field in readings)) continue;
      const seq = typeof row.seq === 'number' && row.seq >= 0 ? row.seq : undefined;
      out.push({ ts: nanoToMs(row.time), ...(seq !== undefined ? { seq } : {}), readings });
    }
    return out;
  }

  async queryAggregate(q: TelemetryQuery & { field: string; everyMs: number }): Promise<AggregateRow[]> {
    // Wide windows over long ranges read the rollups; if they hold nothing yet (fresh install,
    // or the range is too recent for the continuous query), fall back to raw points.
    const res = rollupFor(q.everyMs);
    if (res && q.to - q.from >= (res === '1h' ? 86_400_000 : 6 * 3_600_000)) {
      const rows = await this.aggregateFrom(`"rollup_${res}"`, `mean_${q.field}`, q);
      if (rows.length > 0) return rows;
    }
    return this.aggregateFrom('"raw"', q.field, q);
  }

  private async aggregateFrom(policy: string, field: string, q: TelemetryQuery & { everyMs: number }): Promise<AggregateRow[]> {
    const rows = await this.influx.query<{ time: Influx.INanoDate; value: number | null }>(
      `SELECT mean(${Influx.escape.quoted(field)}) AS value FROM ${Influx.escape.quoted(this.database)}.${policy}.${Influx.escape.quoted(q.kind)}
       WHERE "device" = ${Influx.escape.stringLit(q.deviceId)}
       AND time >= ${msToNanoLiteral(q.from)} AND time <= ${msToNanoLiteralEnd(q.to)}
       GROUP BY time(${Math.max(1, Math.round(q.everyMs))}ms) fill(none) LIMIT ${q.limit}`,
    );
    return rows.map((r) => ({ ts: nanoToMs(r.time), value: r.value }));
  }

  async queryEvents(q: EventQuery): Promise<EventRow[]> {
    const where = [`time >= ${msToNanoLiteral(q.from)}`, `time <= ${msToNanoLiteralEnd(q.to)}`];
    if (q.deviceId) where.push(`"device" = ${Influx.escape.stringLit(q.deviceId)}`);
    if (q.communityId) where.push(`"community" = ${Influx.escape.stringLit(q.communityId)}`);
    if (q.type) where.push(`"type" = ${Influx.escape.stringLit(q.type)}`);
    const rows = await this.influx.query<Record<string, unknown> & { time: Influx.INanoDate }>(
      `SELECT * FROM ${EVENTS_MEASUREMENT} WHERE ${where.join(' AND ')} ORDER BY time DESC LIMIT ${q.limit}`,
    );
    return rows.map((row) => {
      const readings: Readings = {};
      for (const [key, value] of Object.entries(row)) {
        if (['time', 'seq', 'detail', 'community', 'cell', 'device', 'kind', 'type'].includes(key) || value === null) continue;
        if (typeof value === 'number' || typeof value === 'boolean') readings[key] = value;
      }
      const seq = typeof row.seq === 'number' && row.seq >= 0 ? row.seq : undefined;
      return {
        deviceId: String(row.device),
        kind: row.kind as DeviceKind,
        communityId: String(row.community),
        ts: nanoToMs(row.time),
        ...(seq !== undefined ? { seq } : {}),
        type: String(row.type),
        readings,
        detail: typeof row.detail === 'string' ? (JSON.parse(row.detail) as Record<string, unknown>) : {},
      };
    });
  }

  async ping(): Promise<boolean> {
    try {
      const hosts = await this.influx.ping(2000);
      return hosts.some((h) => h.online);
    } catch {
      return false;
    }
  }

  /** Counts points of one measurement; used by tests and the bench to compare sent against stored. */
  async count(measurement: string): Promise<number> {
    const rows = await this.influx.query<{ count: number }>(`SELECT count("seq") AS count FROM ${Influx.escape.quoted(measurement)}`);
    return rows[0]?.count ?? 0;
  }
}
