import { describe, expect, it } from 'vitest';
import { messages, translate, formatDuration, kindLabel, termLabel, LOCALES } from '../../dashboard/src/lib/i18n.ts';
import { annotated, compareAlerts, countBySeverity, isMine, isNewer, sortAlerts } from '../../dashboard/src/lib/alerts.ts';
import { parseLiveMessage } from '../../dashboard/src/lib/live.ts';
import { visibleWindow } from '../../dashboard/src/lib/virtual.ts';
import { filterDevices, kindCounts } from '../../dashboard/src/lib/devices.ts';
import { mergeGridWithDevices, placeDevices, planFor } from '../../dashboard/src/lib/layout.ts';
import { chartableReadings, toColumns, lastValue } from '../../dashboard/src/lib/series.ts';
import { safeUrl } from '../../dashboard/src/lib/safe.ts';
import { KINDS, kindSpecs } from '../../devices/src/kinds/index.ts';
import type { Alert, Device, User } from '../../dashboard/src/lib/types.ts';
import { alert, device } from './fixtures.ts';

describe('i18n', () => {
  it('has a non-empty zh and en text for every key, with the same placeholders', () => {
    for (const [key, e] of Object.entries(messages)) {
      expect(e.zh.trim(), `${key} zh`).not.toBe('');
      expect(e.en.trim(), `${key} en`).not.toBe('');
      const ph = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(ph(e.zh), `${key} placeholders`).toEqual(ph(e.en));
    }
  });
  it('every .svelte and .ts file under dashboard/src uses only keys that exist', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const root = path.resolve(import.meta.dirname, '../../dashboard/src');
    const files: string[] = [];
    const walk = (d: string) => {
      for (const f of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, f.name);
        if (f.isDirectory()) walk(p);
        else if (/\.(svelte|ts)$/.test(f.name) && f.name !== 'i18n.ts') files.push(p);
      }
    };
    walk(root);
    const used = new Set<string>();
    for (const f of files) for (const m of fs.readFileSync(f, 'utf8').matchAll(/\bt\('([\w.]+)'/g)) used.add(m[1]!);
    expect(used.size).toBeGreaterThan(50);
    for (const k of used) expect(Object.keys(messages), k).toContain(k);
    // template keys like t(`severity.${s}`) / t(`state.${x}`)
    for (const s of ['critical', 'major', 'minor', 'info']) expect(messages).toHaveProperty(`severity.${s}`);
    for (const s of ['open', 'acknowledged', 'resolved']) expect(messages).toHaveProperty(`state.${s}`);
  });
  it('no component renders raw HTML', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const root = path.resolve(import.meta.dirname, '../../dashboard/src');
    const walk = (d: string): string[] =>
      fs.readdirSync(d, { withFileTypes: true }).flatMap((f) => (f.isDirectory() ? walk(path.join(d, f.name)) : [path.join(d, f.name)]));
    for (const f of walk(root).filter((f) => f.endsWith('.svelte'))) {
      const src = fs.readFileSync(f, 'utf8');
      expect(src, f).not.toContain('{@html');
      expect(src, f).not.toContain('innerHTML');
    }
  });
  it('translates with parameters in both languages', () => {
    expect(LOCALES).toEqual(['zh-CN', 'en']);
    expect(translate('en', 'queue.total', { count: 3 })).toBe('3 alerts');
    expect(translate('zh-CN', 'queue.total', { count: 3 })).toBe('共 3 条');
  });
  it('takes kind labels from the shared device model', () => {
    for (const k of KINDS) {
      expect(kindLabel('zh-CN', k)).toBe(kindSpecs[k].label.zh);
      expect(kindLabel('en', k)).toBe(kindSpecs[k].label.en);
    }
    expect(kindLabel('en', 'future_kind')).toBe('future_kind');
  });
  it('labels every reading and event type of every kind', () => {
    for (const k of KINDS) {
      for (const r of kindSpecs[k].readings) expect(termLabel('en', r), r).not.toBe(r);
      for (const e of kindSpecs[k].eventTypes) expect(termLabel('zh-CN', e), e).not.toBe(e);
    }
  });
  it('formats durations', () => {
    expect(formatDuration('en', 42_000)).toBe('42s');
    expect(formatDuration('en', 185_000)).toBe('3m 05s');
    expect(formatDuration('en', 2 * 3600_000 + 10 * 60_000)).toBe('2h 10m');
    expect(formatDuration('zh-CN', 26 * 3600_000)).toBe('1 天 2 小时');
    expect(formatDuration('en', -5)).toBe('0s');
  });
});

describe('alert ordering and counting', () => {
  it('sorts by severity, then age, stable by id', () => {
    const list = [
      alert({ id: 'm-old', severity: 'major', openedAt: 1 }),
      alert({ id: 'c-new', severity: 'critical', openedAt: 50 }),
      alert({ id: 'i', severity: 'info', openedAt: 99 }),
      alert({ id: 'c-old', severity: 'critical', openedAt: 10 }),
      alert({ id: 'm-new', severity: 'major', openedAt: 40 }),
    ];
    expect(sortAlerts(list, 'newest').map((a) => a.id)).toEqual(['c-new', 'c-old', 'm-new', 'm-old', 'i']);
    expect(sortAlerts(list, 'oldest').map((a) => a.id)).toEqual(['c-old', 'c-new', 'm-old', 'm-new', 'i']);
    expect(compareAlerts(alert({ id: 'a' }), alert({ id: 'b' }))).toBeLessThan(0);
  });
  it('counts unacknowledged per severity', () => {
    const c = countBySeverity([
      alert({ id: '1', severity: 'critical' }),
      alert({ id: '2', severity: 'critical', state: 'acknowledged' }),
      alert({ id: '3', severity: 'minor' }),
      alert({ id: '4', severity: 'minor', state: 'resolved' }),
    ]);
    expect(c).toEqual({ critical: 1, major: 0, minor: 1, info: 0 });
  });
  it('never lets a stale copy undo a newer one', () => {
    const open = alert({ id: 'x', openedAt: 1000 });
    const acked = alert({ id: 'x', openedAt: 1000, state: 'acknowledged', acknowledgedAt: 2000 });
    expect(isNewer(acked, open)).toBe(true);
    expect(isNewer(open, acked)).toBe(false);
    expect(isNewer(alert({ id: 'x', lastSeenAt: 3000, count: 2 }), open)).toBe(true);
    expect(isNewer(open, undefined)).toBe(true);
  });
  it('scopes the worker view to the worker cells or assignments', () => {
    const u: User = { username: 'li', role: 'worker', displayName: null, workerId: null, communities: ['*'], cells: ['g2'] };
    expect(isMine(alert({ id: '1', gridCellId: 'g2' }), u)).toBe(true);
    expect(isMine(alert({ id: '2', gridCellId: 'g3' }), u)).toBe(false);
    expect(isMine(alert({ id: '3', gridCellId: 'g3', assignee: 'li' }), u)).toBe(true);
    expect(isMine(alert({ id: '4', gridCellId: 'g2', state: 'resolved' }), u)).toBe(false);
  });
});

describe('virtual list window', () => {
  it('renders only what is in view, plus overscan', () => {
    const w = visibleWindow(50_000, 40, 400_000, 800, 5);
    expect(w.start).toBe(10_000 - 5);
    expect(w.end - w.start).toBeLessThan(40);
    expect(w.totalHeight).toBe(2_000_000);
    expect(w.offsetTop).toBe(w.start * 40);
  });
  it('clamps past the end and handles empty lists', () => {
    const w = visibleWindow(100, 40, 1e9, 800, 0);
    expect(w.end).toBe(100);
    expect(visibleWindow(0, 40, 0, 800)).toMatchObject({ start: 0, end: 0, totalHeight: 0 });
  });
});

describe('devices table logic', () => {
  const devices: Device[] = Array.from({ length: 1000 }, (_, i) =>
    device({
      id: `dev-${i}`,
      kind: KINDS[i % 4]!,
      communityId: 'c1',
      gridCellId: `g${i % 8}`,
      name: i === 7 ? '东门 Gate' : null,
      online: i % 10 !== 0,
    }),
  );
  it('filters by kind, state, cell and search', () => {
    const alerting = new Set(['dev-1', 'dev-2']);
    expect(filterDevices(devices, { kind: 'smoke', state: '', cell: '', search: '' }, alerting)).toHaveLength(250);
    expect(filterDevices(devices, { kind: '', state: 'offline', cell: '', search: '' }, alerting)).toHaveLength(100);
    expect(filterDevices(devices, { kind: '', state: 'alert', cell: '', search: '' }, alerting).map((d) => d.id)).toEqual(['dev-1', 'dev-2']);
    expect(filterDevices(devices, { kind: '', state: '', cell: 'g3', search: '' }, alerting)).toHaveLength(125);
    expect(filterDevices(devices, { kind: '', state: '', cell: '', search: '东门' }, alerting).map((d) => d.id)).toEqual(['dev-7']);
    expect(filterDevices(devices, { kind: '', state: '', cell: '', search: 'DEV-99' }, alerting).map((d) => d.id)).toContain('dev-999');
  });
  it('counts online and offline per kind', () => {
    const c = kindCounts(devices);
    let total = 0;
    for (const k of KINDS.slice(0, 4)) total += c.get(k)!.online + c.get(k)!.offline;
    expect(total).toBe(1000);
    expect(c.get('gate')).toEqual({ online: 200, offline: 50 }); // i%4==0 and i%10==0 ⇔ i%20==0
  });
});

describe('plan layout', () => {
  const devices: Device[] = [
    device({ id: 'a', kind: 'smoke', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1', online: true }),
    device({ id: 'b', kind: 'smoke', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1', online: true }),
    device({ id: 'c', kind: 'gate', communityId: 'c1', gridCellId: 'g2', online: false }),
    device({ id: 'd', kind: 'gate', communityId: 'c1', gridCellId: null, online: false }),
    device({ id: 'e', kind: 'camera', communityId: 'c1', gridCellId: 'g2', online: true, location: { x: 5, y: 6 } }),
  ];
  it('derives communities, cells and buildings from devices when /api/grid is missing', () => {
    const cs = mergeGridWithDevices(null, devices);
    expect(cs).toHaveLength(1);
    expect(cs[0]!.cells!.map((c) => c.id).sort()).toEqual(['g1', 'g2', '—']);
  });
  it('uses configured coordinates when every cell has them', () => {
    const plan = planFor({ id: 'c1', cells: [{ id: 'g1', area: { x: 0, y: 0, w: 50, h: 40 }, buildings: [{ id: 'b1', x: 5, y: 5, w: 10, h: 10 }] }] });
    expect(plan.generated).toBe(false);
    expect(plan.buildings[0]).toMatchObject({ x: 5, y: 5, w: 10, h: 10 });
  });
  it('generates a layout otherwise and places each device inside its building or cell', () => {
    const plan = planFor(mergeGridWithDevices(null, devices)[0]!);
    expect(plan.generated).toBe(true);
    const pos = placeDevices(plan, devices);
    expect(pos.size).toBe(5);
    expect(pos.get('e')).toEqual({ x: 5, y: 6 });
    const b1 = plan.buildings.find((b) => b.id === 'b1')!;
    for (const id of ['a', 'b']) {
      const p = pos.get(id)!;
      expect(p.x).toBeGreaterThan(b1.x);
      expect(p.x).toBeLessThan(b1.x + b1.w);
      expect(p.y).toBeGreaterThan(b1.y);
      expect(p.y).toBeLessThan(b1.y + b1.h);
    }
    expect(pos.get('a')).not.toEqual(pos.get('b'));
  });
});

describe('series, urls, times', () => {
  it('charts numbers and booleans of the kind, not strings', () => {
    expect(chartableReadings('gate')).toEqual(['locked', 'passes_total', 'battery_pct']);
    expect(chartableReadings('nope')).toEqual([]);
    const c = toColumns([
      { ts: 2000, value: true },
      { ts: 1000, value: 3.5 },
      { ts: 3000, value: 'open' },
    ]);
    expect(c).toEqual({ xs: [1, 2, 3], ys: [3.5, 1, null] });
    expect(lastValue([{ ts: 1, value: 1 }, { ts: 3, value: 3 }, { ts: 4, value: null }])).toBe(3);
  });
  it('lets only http(s) and same-origin paths become links', () => {
    expect(safeUrl('/snap/1.jpg')).toBe('/snap/1.jpg');
    expect(safeUrl('https://cam/x.jpg')).toBe('https://cam/x.jpg');
    expect(safeUrl('javascript:alert(1)')).toBeNull();
    expect(safeUrl('//evil/x')).toBeNull();
    expect(safeUrl('data:text/html,hi')).toBeNull();
    expect(safeUrl(42)).toBeNull();
  });
});

describe('incident folding', () => {
  it('shows one queue entry per incident, led by its most severe alert', async () => {
    const { foldIncidents } = await import('../../dashboard/src/lib/alerts.ts');
    const sorted = sortAlerts([
      alert({ id: 's1', severity: 'critical', incidentId: 'fire-b1', openedAt: 10 }),
      alert({ id: 's2', severity: 'critical', incidentId: 'fire-b1', openedAt: 20 }),
      alert({ id: 'g1', severity: 'major', incidentId: 'fire-b1', openedAt: 30 }),
      alert({ id: 'x', severity: 'major', openedAt: 40 }),
      alert({ id: 'y', severity: 'minor', incidentId: 'other', openedAt: 5 }),
    ]);
    const q = foldIncidents(sorted);
    expect(q.map((e) => [e.alert.id, e.related.map((r) => r.id)])).toEqual([
      ['s2', ['s1', 'g1']],
      ['x', []],
      ['y', []],
    ]);
  });
});

describe('shared alert model and configured names', () => {
  it('labels every alert type from devices/src/alerts.ts in both languages', async () => {
    const { ALERT_TYPES } = await import('../../devices/src/alerts.ts');
    for (const [type, spec] of Object.entries(ALERT_TYPES)) {
      expect(termLabel('zh-CN', type)).toBe(spec.label.zh);
      expect(termLabel('en', type)).toBe(spec.label.en);
    }
  });
  it('shows {zh,en} names in the current language', async () => {
    const { localName } = await import('../../dashboard/src/lib/i18n.ts');
    expect(localName('en', { zh: '东区', en: 'East' })).toBe('East');
    expect(localName('zh-CN', { zh: '东区', en: 'East' })).toBe('东区');
    expect(localName('en', '东区')).toBe('东区');
    expect(localName('en', null)).toBe('');
  });
  it('reads cell rectangles from `area` and frames the configured plan size', () => {
    const plan = planFor({
      id: 'c1',
      plan: { w: 1000, h: 600 },
      cells: [{ id: 'g1', area: { x: 0, y: 0, w: 500, h: 600 }, buildings: [{ id: 'b1', x: 10, y: 10, w: 50, h: 80 }] }],
    });
    expect(plan.generated).toBe(false);
    expect(plan.cells[0]).toMatchObject({ x: 0, y: 0, w: 500, h: 600 });
    expect(plan.viewBox).toEqual({ x: 0, y: 0, w: 1000, h: 600 });
  });
});

describe('device updates', () => {
  it('tells a move or rename (layout recomputed) from a status change (patched in place)', async () => {
    const { structuralChange } = await import('../../dashboard/src/lib/devices.ts');
    const d = device({ id: 's1', kind: 'smoke', communityId: 'c1', gridCellId: 'g1', buildingId: 'b1', online: false, location: { x: 1, y: 2 } });
    expect(structuralChange(d, { online: true, lastSeenAt: 5 })).toBe(false);
    expect(structuralChange(d, { gridCellId: 'g1', buildingId: 'b1' })).toBe(false);
    expect(structuralChange(d, { buildingId: 'b2' })).toBe(true);
    expect(structuralChange(d, { location: { x: 1, y: 2 } })).toBe(false);
    expect(structuralChange(d, { location: { x: 3, y: 2 } })).toBe(true);
    expect(structuralChange(d, { location: null })).toBe(true);
  });
});

describe('live annotations', () => {
  const entry = { at: 5000, action: 'webhook_delivered' as const, by: 'system', detail: { target: 'wecom' } };
  it('appends a delivery result to the held alert without replacing it', () => {
    const held = alert({ id: 'a1', history: [{ at: 1000, action: 'opened', by: 'system' }] });
    const next = annotated(held, entry)!;
    expect(next.history.map((h) => h.action)).toEqual(['opened', 'webhook_delivered']);
    expect(next.state).toBe('open');
    expect(held.history).toHaveLength(1);
  });
  it('ignores an annotation for an alert not held', () => {
    expect(annotated(undefined, entry)).toBeNull();
  });
  it('accepts the contract messages and ignores malformed or unknown ones', () => {
    const ann = { type: 'annotation', alertId: 'a1', communityId: 'c1', gridCellId: null, entry };
    expect(parseLiveMessage(JSON.stringify(ann))).toEqual(ann);
    expect(parseLiveMessage(JSON.stringify({ type: 'hello', serverTime: 1 }))).toEqual({ type: 'hello', serverTime: 1 });
    expect(parseLiveMessage(JSON.stringify({ type: 'annotation', alertId: 'a1' }))).toBeNull();
    expect(parseLiveMessage(JSON.stringify({ type: 'alert', alert: {} }))).toBeNull();
    expect(parseLiveMessage(JSON.stringify({ type: 'whatever', x: 1 }))).toBeNull();
    expect(parseLiveMessage('not json')).toBeNull();
  });
});
