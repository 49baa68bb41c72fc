import http from 'node:http';
import https from 'node:https';
import * as Influx from 'influx';
import type { DeviceKind, Readings } from '#devices';
import { parseInfluxUrl } from '../config.ts';
import { DEFAULT_RETENTION, rollupFor, type Retention } from './types.ts';
import { EVENTS_MEASUREMENT, LineProtocolEncoder } from './line-protocol.ts';
import { asStoreUnavailable } from './errors.ts';
import { classifyInfluxRefusal, EXTRA_PREFIX, readingNameOf, type Refusal, type WriteOutcome } from './acceptance.ts';
import { isKnownReading, KINDS } from '#devices';
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

function influxErrorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error.slice(0, 500);
  } catch {
    /* not JSON */
  }
  return body.slice(0, 500);
}

/** Tags are read as tags even where a field of the same name exists (written before extras were namespaced). */
const tagIs = (tag: string, value: string) => `"${tag}"::tag = ${Influx.escape.stringLit(value)}`;

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
    const existing = new Map((await this.influx.showContinousQueries(this.database)).map((q) => [q.name, q.query]));
    // Every registered kind is a measurement; a query written before a kind existed is replaced, or it would never roll that kind up.
    const measurements = `/^(${KINDS.join('|')})$/`;
    for (const [name, rp, every] of [['cq_rollup_1m', 'rollup_1m', '1m'], ['cq_rollup_1h', 'rollup_1h', '1h']] as const) {
      const query = existing.get(name);
      if (query?.includes(measurements)) continue;
      if (query !== undefined) await this.influx.queryRaw(`DROP CONTINUOUS QUERY "${name}" ON ${db}`);
      await this.influx.queryRaw(
        `CREATE CONTINUOUS QUERY "${name}" ON ${db} BEGIN SELECT mean(*) INTO ${db}."${rp}".:MEASUREMENT FROM ${db}."raw".${measurements} GROUP BY time(${every}), * END`,
      );
    }
  }

  /**
   * One POST of line protocol to /write (InfluxDB 1.x, and any store that speaks it), through
   * node:http with keep-alive: with fetch() InfluxDB spent twice the CPU on the same writes.
   * When InfluxDB refuses part of the batch (a 4xx partial write names only a count), the batch
   * is halved and written again until each refused point is found: the stored ones are
   * overwritten with themselves, and only the refused ones are reported.
   */
  async write(points: StoredPoint[]): Promise<WriteOutcome | void> {
    await this.ensureDatabase();
    const lines = points.map((p) => this.encoder.line(p));
    const refused: Refusal[] = [];
    await this.writeLines(lines, 0, refused);
    if (refused.length > 0) return { refused };
  }

  private async writeLines(lines: string[], offset: number, refused: Refusal[]): Promise<void> {
    const { status, text } = await this.post(lines.join('\n'));
    if (status === 204 || status === 200) return;
    const message = `A ${status} error occurred: ${text}`;
    if (/database not found/.test(message)) {
      this.databaseReady = false;
      throw new Error(message);
    }
    // 400 (a partial write, a line it cannot take) and 413 (too large) are about the data: retrying
    // the same lines cannot help. Anything else (401/403 credentials, 5xx) is the store, retried.
    if (status !== 400 && status !== 413) throw new Error(message);
    const dropped = Number(/dropped=(\d+)/.exec(text)?.[1] ?? NaN);
    if (lines.length === 1 || dropped === lines.length) {
      const reason = classifyInfluxRefusal(text);
      const detail = influxErrorText(text);
      for (let i = 0; i < lines.length; i++) refused.push({ index: offset + i, reason, message: detail });
      return;
    }
    const half = lines.length >> 1;
    await this.writeLines(lines.slice(0, half), offset, refused);
    await this.writeLines(lines.slice(half), offset + half, refused);
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
    const select = q.field ? [...fieldKeysFor(q.kind, q.field), 'seq'].map((k) => Influx.escape.quoted(k)).join(', ') : '*';
    const rows = await this.query<Record<string, unknown> & { time: Influx.INanoDate }>(
      `SELECT ${select} FROM ${Influx.escape.quoted(q.kind)} WHERE ${tagIs('device', q.deviceId)}
       AND time >= ${msToNanoLiteral(q.from)} AND time <= ${msToNanoLiteralEnd(q.to)} ORDER BY time ASC LIMIT ${q.limit}`,
    );
    const out: TelemetryRow[] = [];
    for (const row of rows) {
      const readings: Readings = {};
      for (const key in row) {
        const value = row[key];
        if (value === null || value === undefined) continue;
        const name = readingNameOf(key);
        if (name === undefined) continue;
        if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') readings[name] = value;
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
      const rows = await this.aggregateFrom(`"rollup_${res}"`, `mean_${numericKeyFor(q.kind, q.field)}`, q);
      if (rows.length > 0) return rows;
    }
    return this.aggregateFrom('"raw"', numericKeyFor(q.kind, q.field), q);
  }

  private async aggregateFrom(policy: string, field: string, q: TelemetryQuery & { everyMs: number }): Promise<AggregateRow[]> {
    const rows = await this.query<{ time: Influx.INanoDate; value: number | null }>(
      `SELECT mean(${Influx.escape.quoted(field)}) AS value FROM ${Influx.escape.quoted(this.database)}.${policy}.${Influx.escape.quoted(q.kind)}
       WHERE ${tagIs('device', q.deviceId)}
       AND time >= ${msToNanoLiteral(q.from)} AND time <= ${msToNanoLiteralEnd(q.to)}
       GROUP BY time(${Math.max(1, Math.round(q.everyMs))}ms) fill(none) LIMIT ${q.limit}`,
    );
    return rows.map((r) => ({ ts: nanoToMs(r.time), value: r.value }));
  }

  async queryEvents(q: EventQuery): Promise<EventRow[]> {
    const where = [`time >= ${msToNanoLiteral(q.from)}`, `time <= ${msToNanoLiteralEnd(q.to)}`];
    if (q.deviceId) where.push(tagIs('device', q.deviceId));
    if (q.communityId) where.push(tagIs('community', q.communityId));
    if (q.type) where.push(tagIs('type', q.type));
    const rows = await this.query<Record<string, unknown> & { time: Influx.INanoDate }>(
      `SELECT * FROM ${EVENTS_MEASUREMENT} WHERE ${where.join(' AND ')} ORDER BY time DESC LIMIT ${q.limit}`,
    );
    return rows.map((row) => {
      const readings: Readings = {};
      for (const key in row) {
        const value = row[key];
        if (typeof value !== 'number' && typeof value !== 'boolean') continue;
        const name = readingNameOf(key);
        if (name !== undefined) readings[name] = value;
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

  /** A query; a store that cannot answer throws StoreUnavailable (HTTP 503), not the driver's error. */
  private query<T>(influxql: string): Promise<T[]> {
    return this.guarded(() => this.influx.query<T>(influxql));
  }

  private async guarded<R>(run: () => Promise<R>): Promise<R> {
    try {
      return await run();
    } catch (err) {
      throw asStoreUnavailable(err, this.location);
    }
  }

  /**
   * LAST(*) names the field keys the device has (and their values), but with several selectors
   * InfluxDB 1.x answers time 0; so a second request asks LAST of each of those keys alone, which
   * carries its point's time. Extras map back to their reading names (xn_/xb_/xs_, and keys
   * written before namespacing); a name stored under several keys keeps the newest.
   */
  async latest(kind: DeviceKind, deviceId: string): Promise<LatestReadings> {
    const from = `FROM ${Influx.escape.quoted(this.database)}."raw".${Influx.escape.quoted(kind)} WHERE ${tagIs('device', deviceId)}`;
    const [last] = await this.query<Record<string, unknown>>(`SELECT LAST(*) ${from}`);
    const keys = Object.keys(last ?? {})
      .filter((column) => column.startsWith('last_') && last![column] !== null && last![column] !== undefined)
      .map((column) => column.slice('last_'.length))
      .filter((key) => readingNameOf(key) !== undefined);
    if (keys.length === 0) return {};
    type Last = { time: Influx.INanoDate; last: unknown };
    const answer = await this.guarded(() => this.influx.query<Last>(keys.map((key) => `SELECT LAST(${Influx.escape.quoted(key)}) ${from}`)));
    // The influx package unwraps the result of a single statement.
    const perKey = (keys.length === 1 ? [answer] : answer) as Influx.IResults<Last>[];
    const out: LatestReadings = {};
    keys.forEach((key, i) => {
      const row = perKey[i]?.[0];
      const value = row?.last;
      if (!row || (typeof value !== 'number' && typeof value !== 'boolean' && typeof value !== 'string')) return;
      const name = readingNameOf(key)!;
      const ts = nanoToMs(row.time);
      if (!(name in out) || out[name]!.ts < ts) out[name] = { value, ts };
    });
    return out;
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
    const rows = await this.query<{ count: number }>(`SELECT count("seq") AS count FROM ${Influx.escape.quoted(measurement)}`);
    return rows[0]?.count ?? 0;
  }
}

/** The field keys a reading may be stored under: its own name if the contract defines it, else each typed extra key (and the pre-namespacing name). */
function fieldKeysFor(kind: DeviceKind, name: string): string[] {
  if (isKnownReading(kind, name)) return [name];
  const keys: string[] = [EXTRA_PREFIX.number + name, EXTRA_PREFIX.boolean + name];
  if (readingNameOf(name) === name) keys.push(name);
  return keys;
}

function numericKeyFor(kind: DeviceKind, name: string): string {
  return isKnownReading(kind, name) ? name : EXTRA_PREFIX.number + name;
}
