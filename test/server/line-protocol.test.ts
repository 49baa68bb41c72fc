import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as Influx from 'influx';
import { describe, expect, it } from 'vitest';
import { LineProtocolEncoder, pointNanos } from '../../server/src/store/line-protocol.ts';
import { influxFieldKey } from '../../server/src/store/acceptance.ts';
import type { StoredPoint } from '../../server/src/store/types.ts';

/** What the `influx` package sends for the same points: captured from a real HTTP request. */
async function packageBody(points: Influx.IPoint[]): Promise<string> {
  let body = '';
  const server = http.createServer((req, res) => {
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const influx = new Influx.InfluxDB({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, database: 'x' });
  await influx.writePoints(points, { precision: 'n' });
  server.close();
  return body;
}

const points: StoredPoint[] = [
  { m: 't', d: 'smoke-1', k: 'smoke', c: 'c1', g: 'cell 1', ts: 1_763_000_000_123, rx: 0, r: { smoke_density: 0.12, battery: 87, alarm: false }, seq: 4 },
  { m: 't', d: 'gate,2', k: 'gate', c: 'c=1', g: null, ts: 1_763_000_000_124.5, rx: 0, r: { state: 'open "x"', door_open: true } },
  { m: 'e', d: 'cam-3', k: 'camera', c: 'c1', g: 'g2', ts: 1_763_000_000_125, rx: 0, r: { confidence: 0.9 }, seq: 1234, ty: 'motion', x: { region: 'gate A', note: 'a "b"' } },
  { m: 'e', d: 'cam-3', k: 'camera', c: 'c1', g: 'g2', ts: 1_763_000_000_126, rx: 0, r: {}, ty: 'tamper' },
  // Known readings keep their names; extras are typed and cannot take a tag's or a reserved name.
  { m: 't', d: 'smoke-4', k: 'smoke', c: 'c1', g: 'g1', ts: 1_763_000_000_127, rx: 0, r: { temperature_c: 21.5, battery_pct: 80, device: 1, seq: true, detail: 2 }, u: 7 },
  { m: 'e', d: 'smoke-4', k: 'smoke', c: 'c1', g: 'g1', ts: 1_763_000_000_128, rx: 0, r: { detail: 1, type: false }, ty: 'test', u: 1234 },
];

/** The point shape the hub used to hand to writePoints. */
function asPackagePoint(p: StoredPoint): Influx.IPoint {
  const tags: Record<string, string> = { community: p.c, device: p.d, kind: p.k };
  if (p.g) tags.cell = p.g;
  const fields: Record<string, unknown> = { seq: p.seq ?? -1 - (p.u ?? 0) };
  for (const [name, value] of Object.entries(p.r)) fields[influxFieldKey(p.m === 't' ? p.k : null, name, value)] = value;
  if (p.m === 'e') {
    tags.type = p.ty ?? '';
    if (p.x && Object.keys(p.x).length > 0) fields.detail = JSON.stringify(p.x);
  }
  return { measurement: p.m === 't' ? p.k : 'events', tags, fields, timestamp: pointNanos(p.ts, p.seq, p.u) };
}

describe('line protocol encoder', () => {
  it('writes exactly what the influx package writes, escapes included', async () => {
    const encoder = new LineProtocolEncoder();
    expect(encoder.encode(points)).toBe(await packageBody(points.map(asPackagePoint)));
    // The second pass comes from the per-device tag cache and must not differ.
    expect(encoder.encode(points)).toBe(await packageBody(points.map(asPackagePoint)));
  });

  it('notices a device moved to another cell', () => {
    const encoder = new LineProtocolEncoder();
    const moved = { ...points[0]!, g: 'cell 9' };
    expect(encoder.line(points[0]!)).toContain('cell=cell\\ 1');
    expect(encoder.line(moved)).toContain('cell=cell\\ 9');
  });

  it('puts (ts, seq) on a stable nanosecond timestamp', () => {
    expect(pointNanos(1_763_000_000_123, 4)).toBe('1763000000123000004');
    expect(pointNanos(1_763_000_000_124.5, undefined)).toBe('1763000000124500000');
    expect(pointNanos(1_763_000_000_123, 1234)).toBe('1763000000123000234');
    // Without a seq, the hub's receive number takes its place.
    expect(pointNanos(1_763_000_000_123, undefined, 5)).toBe('1763000000123000005');
    expect(pointNanos(1_763_000_000_123, 4, 5)).toBe('1763000000123000004');
  });

  it('namespaces extras by type so no device can take a tag, a reserved name or another type', () => {
    const line = new LineProtocolEncoder().line(points[4]!);
    expect(line).toBe('smoke,community=c1,device=smoke-4,kind=smoke,cell=g1 battery_pct=80,seq=-8,temperature_c=21.5,xb_seq=true,xn_detail=2,xn_device=1 1763000000127000007');
    const event = new LineProtocolEncoder().line(points[5]!);
    expect(event).toBe('events,community=c1,device=smoke-4,kind=smoke,cell=g1,type=test seq=-1235,xb_type=false,xn_detail=1 1763000000128000234');
  });
});
