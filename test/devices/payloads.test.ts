import { describe, expect, it } from 'vitest';
import { decodePayload, kindSpecs, KINDS, MAX_PAYLOAD_BYTES, type DeviceKind } from '#devices';

const enc = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const NOW = 1_800_000_000_000;

const validTelemetry: Record<DeviceKind, Record<string, unknown>> = {
  smoke: { smoke_obscuration_pct_per_m: 0.2, temperature_c: 22.5, battery_pct: 87, rssi_dbm: -71 },
  gate: { door: 'closed', locked: true, passes_total: 1234, battery_pct: 100 },
  fire_station: { water_pressure_mpa: 0.35, extinguishers_ok: 12, extinguishers_total: 12, cabinet_door: 'closed', staff_on_duty: 2 },
  camera: { reachable: true, fps: 25, bitrate_kbps: 4096, clock_drift_s: -0.4 },
  gas: { lel_pct: 1.5, battery_pct: 88 },
  electrical_fire: { residual_current_ma: 42, cable_temperature_c: 31.5, load_current_a: 18.2 },
};

const invalidTelemetry: Record<DeviceKind, [string, Record<string, unknown>][]> = {
  smoke: [
    ['percentage over 100', { battery_pct: 101 }],
    ['negative percentage', { smoke_obscuration_pct_per_m: -1 }],
    ['string for a number', { temperature_c: '22' }],
    ['positive rssi', { rssi_dbm: 5 }],
  ],
  gate: [
    ['door not open/closed', { door: 'ajar' }],
    ['locked as a number', { locked: 1 }],
    ['fractional counter', { passes_total: 1.5 }],
  ],
  fire_station: [
    ['negative pressure', { water_pressure_mpa: -0.1 }],
    ['cabinet door as boolean', { cabinet_door: true }],
    ['fractional extinguishers', { extinguishers_ok: 2.5 }],
  ],
  camera: [
    ['reachable as a string', { reachable: 'yes' }],
    ['negative fps', { fps: -1 }],
    ['drift as a string', { clock_drift_s: '5' }],
  ],
  gas: [
    ['%LEL over 100', { lel_pct: 120 }],
    ['battery as a string', { battery_pct: '80' }],
  ],
  electrical_fire: [
    ['negative residual current', { residual_current_ma: -1 }],
    ['temperature as a string', { cable_temperature_c: '40' }],
    ['negative load', { load_current_a: -3 }],
  ],
};

describe('payload schemas', () => {
  for (const kind of KINDS) {
    describe(kind, () => {
      it('accepts valid telemetry and keeps every reading', () => {
        const r = decodePayload(kind, 'telemetry', enc({ ...validTelemetry[kind], ts: NOW - 5, seq: 7 }), NOW);
        expect(r).toEqual({ ok: true, value: { channel: 'telemetry', ts: NOW - 5, seq: 7, readings: validTelemetry[kind] } });
      });

      it('accepts an empty telemetry object and uses the receive time', () => {
        expect(decodePayload(kind, 'telemetry', enc({}), NOW)).toEqual({ ok: true, value: { channel: 'telemetry', ts: NOW, seq: undefined, readings: {} } });
      });

      it.each(invalidTelemetry[kind])('rejects telemetry with %s', (_name, body) => {
        const r = decodePayload(kind, 'telemetry', enc(body), NOW);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.reason).toBe('invalid_payload');
      });

      it('accepts every contract event type and rejects others', () => {
        for (const type of kindSpecs[kind].eventTypes) {
          const r = decodePayload(kind, 'event', enc({ type, ts: NOW }), NOW);
          expect(r.ok, type).toBe(true);
        }
        expect(decodePayload(kind, 'event', enc({ type: 'explode' }), NOW)).toMatchObject({ ok: false, reason: 'invalid_payload' });
        expect(decodePayload(kind, 'event', enc({ ts: NOW }), NOW)).toMatchObject({ ok: false, reason: 'invalid_payload' });
      });
    });
  }

  it('keeps unknown numeric and boolean extras, ignores other unknown extras', () => {
    const r = decodePayload('smoke', 'telemetry', enc({ battery_pct: 50, humidity_pct: 40, lid_open: false, note: 'x', nested: { a: 1 } }), NOW);
    expect(r).toMatchObject({ ok: true, value: { readings: { battery_pct: 50, humidity_pct: 40, lid_open: false } } });
  });

  it('keeps event extras as detail', () => {
    const r = decodePayload('gate', 'event', enc({ type: 'access_granted', direction: 'in', credential_hash: 'ab12', floor: 3 }), NOW);
    expect(r).toMatchObject({ ok: true, value: { type: 'access_granted', readings: { floor: 3 }, detail: { direction: 'in', credential_hash: 'ab12' } } });
  });

  it('accepts ISO-8601 and fractional epoch timestamps', () => {
    const iso = '2027-01-15T08:00:00.250Z';
    expect(decodePayload('smoke', 'telemetry', enc({ ts: iso }), NOW)).toMatchObject({ ok: true, value: { ts: Date.parse(iso) } });
    expect(decodePayload('smoke', 'telemetry', enc({ ts: 1700000000000.25 }), NOW)).toMatchObject({ ok: true, value: { ts: 1700000000000.25 } });
  });

  it.each([
    ['not json', '{"a":', 'not_json'],
    ['an array', '[1,2]', 'not_object'],
    ['null', 'null', 'not_object'],
    ['a number', '42', 'not_object'],
    ['a bad ts string', '{"ts":"yesterday noon"}', 'bad_timestamp'],
    ['a bad ts shape', '{"ts":"2027-13-45T99:99:99Z"}', 'bad_timestamp'],
    ['ts as boolean', '{"ts":true}', 'invalid_payload'],
    ['negative seq', '{"seq":-1}', 'invalid_payload'],
    ['fractional seq', '{"seq":1.5}', 'invalid_payload'],
  ])('rejects %s', (_name, text, reason) => {
    expect(decodePayload('smoke', 'telemetry', enc(text), NOW)).toMatchObject({ ok: false, reason });
  });

  it('rejects payloads over 16 KiB and accepts one just under', () => {
    const pad = (n: number) => enc({ battery_pct: 50, note: 'x'.repeat(n) });
    const under = pad(MAX_PAYLOAD_BYTES - 40);
    expect(under.length).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(decodePayload('smoke', 'telemetry', under, NOW).ok).toBe(true);
    expect(decodePayload('smoke', 'telemetry', pad(MAX_PAYLOAD_BYTES), NOW)).toMatchObject({ ok: false, reason: 'oversized' });
  });

  it('decodes status as plain text or JSON', () => {
    expect(decodePayload('gate', 'status', enc('online'), NOW)).toEqual({ ok: true, value: { channel: 'status', ts: NOW, online: true } });
    expect(decodePayload('gate', 'status', enc('"offline"'), NOW)).toMatchObject({ ok: true, value: { online: false } });
    expect(decodePayload('gate', 'status', enc({ state: 'offline' }), NOW)).toMatchObject({ ok: true, value: { online: false } });
    expect(decodePayload('gate', 'status', enc('maybe'), NOW)).toMatchObject({ ok: false, reason: 'bad_status' });
  });
});
