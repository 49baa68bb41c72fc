import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePayload, TS_MAX_MS, TS_MIN_MS } from '#devices';
import type { Hub } from '../../server/src/hub.ts';
import { ingestWindow, MAX_AHEAD_MS, RETENTION_MARGIN_MS } from '../../server/src/store/acceptance.ts';
import { adminSession, type HubSession } from '../helpers/auth.ts';
import { startHub } from '../helpers/hub.ts';
import { eventsOf, publishAll, rejectedOf, settleAt, telemetryOf } from '../attacks/store-helpers.ts';

const DAY = 86_400_000;
const enc = (body: unknown) => Buffer.from(JSON.stringify(body));
const iso = (ms: number) => new Date(ms).toISOString();
/** An injected receive time: the table holds whatever the calendar says today. */
const NOW = Date.UTC(2031, 5, 15, 12, 0, 0);

describe('one timestamp range for epoch ms and ISO-8601', () => {
  // [epoch ms, the same instant as ISO-8601 (when expressible), accepted]
  const table: [string, number, string | undefined, boolean][] = [
    ['the epoch', 0, '1970-01-01T00:00:00.000Z', true],
    ['1 ms before the epoch', -1, '1969-12-31T23:59:59.999Z', false],
    ['2100-01-01 exactly', 4_102_444_800_000, '2100-01-01T00:00:00.000Z', true],
    ['1 ms after 2100-01-01', 4_102_444_800_001, '2100-01-01T00:00:00.001Z', false],
    ['year 0001', -62_135_596_800_000, '0001-01-01T00:00:00.000Z', false],
    ['year 9999', 253_402_300_799_999, '9999-12-31T23:59:59.999Z', false],
    ['a leap day', Date.UTC(2024, 1, 29), '2024-02-29T00:00:00.000Z', true],
    ['a fraction of a ms', 1_700_000_000_000.5, undefined, true],
    ['Infinity (1e400)', Number.POSITIVE_INFINITY, undefined, false],
  ];
  it.each(table)('%s: both forms decide alike', (_name, ms, isoForm, accepted) => {
    const forms: unknown[] = [ms === Number.POSITIVE_INFINITY ? undefined : ms, isoForm].filter((f) => f !== undefined);
    const bodies = forms.map((ts) => enc({ ts }));
    if (ms === Number.POSITIVE_INFINITY) bodies.push(Buffer.from('{"ts":1e400}'));
    for (const body of bodies) {
      const r = decodePayload('smoke', 'telemetry', body, NOW);
      if (accepted) expect(r).toMatchObject({ ok: true, value: { ts: ms } });
      // Infinity has no ISO form; the schema already refuses a non-finite number.
      else expect(r).toMatchObject({ ok: false, reason: ms === Number.POSITIVE_INFINITY ? 'invalid_payload' : 'bad_timestamp' });
    }
    expect(ms >= TS_MIN_MS && ms <= TS_MAX_MS).toBe(accepted);
  });

  it.each([
    ['Feb 30', '2026-02-30T00:00:00Z'],
    ['Feb 29 of a common year', '2023-02-29T00:00:00Z'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['day 0', '2026-01-00T00:00:00Z'],
  ])('refuses a date that does not exist (%s), which Date.parse would roll over', (_name, ts) => {
    expect(decodePayload('smoke', 'event', enc({ type: 'test', ts }), NOW)).toMatchObject({ ok: false, reason: 'bad_timestamp' });
  });

  describe('the retention window, checked before the acknowledgement', () => {
    const rawDays = 30;
    const window = ingestWindow(rawDays);
    const oldest = NOW - rawDays * DAY + RETENTION_MARGIN_MS;
    const table: [string, number, boolean][] = [
      ['the oldest point still kept', oldest, true],
      ['1 ms older', oldest - 1, false],
      ['31 days old', NOW - 31 * DAY, false],
      ['now', NOW, true],
      ['as far ahead as allowed', NOW + MAX_AHEAD_MS, true],
      ['1 ms further ahead', NOW + MAX_AHEAD_MS + 1, false],
      ['a week ahead', NOW + 7 * DAY, false],
    ];
    it.each(table)('%s: epoch ms and ISO-8601 alike, telemetry and events alike', (_name, ms, accepted) => {
      for (const ts of [ms, iso(ms)]) {
        for (const [channel, body] of [['telemetry', { ts }], ['event', { type: 'test', ts }]] as const) {
          const r = decodePayload('smoke', channel, enc(body), NOW, window);
          if (accepted) expect(r).toMatchObject({ ok: true, value: { ts: ms } });
          else expect(r).toMatchObject({ ok: false, reason: 'beyond_retention' });
        }
      }
    });
    it('a message without ts is never outside it (its ts is the receive time)', () => {
      expect(decodePayload('smoke', 'telemetry', enc({}), NOW, window)).toMatchObject({ ok: true, value: { ts: NOW } });
    });
  });
});

describe('a point the store would drop is refused by the hub before the acknowledgement', () => {
  let hub: Hub;
  let s: HubSession;
  beforeAll(async () => {
    hub = await startHub({ deviceRateLimit: 0, retentionRawDays: 7 });
    s = await adminSession(hub.httpUrl);
  });
  afterAll(async () => hub?.stop());

  it('refuses too old and too far ahead with reason beyond_retention, keeps the rest', async () => {
    const now = Date.now();
    const topic = (c: string) => `community/c1/smoke/ret-1/${c}`;
    await publishAll(hub, s, [
      [topic('telemetry'), JSON.stringify({ ts: now - 8 * DAY, battery_pct: 1 })],
      [topic('telemetry'), JSON.stringify({ ts: iso(now - 8 * DAY), battery_pct: 2 })],
      [topic('event'), JSON.stringify({ type: 'test', ts: now + 3 * DAY })],
      [topic('telemetry'), JSON.stringify({ ts: now - 6 * DAY, battery_pct: 3 })],
      [topic('event'), JSON.stringify({ type: 'test', ts: iso(now - DAY) })],
    ]);
    const kept = await settleAt(hub, () => telemetryOf(hub, s, 'ret-1'), 1, 'the point inside retention');
    expect(kept.map((p) => p.readings.battery_pct)).toEqual([3]);
    expect(await eventsOf(hub, s, 'ret-1')).toHaveLength(1);
    const rejected = await rejectedOf(hub, s);
    expect(rejected.byReason.beyond_retention).toBe(3);
    const mine = rejected.recent.filter((r) => r.topic.includes('/ret-1/'));
    expect(mine).toHaveLength(3);
    expect(mine.every((r) => r.reason === 'beyond_retention' && r.stage === undefined)).toBe(true);
  });
});
