// The pure parts of the dashboard's per-concern states (lib/state/): how failures show, which
// alerts a resync drops, how device pushes are merged, the hub clock.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../dashboard/src/lib/api.ts';
import { errorText, failedLoad, failedSession, isUnauthorized } from '../../dashboard/src/lib/state/load.ts';
import { resolvedBefore, startOfToday, vanished } from '../../dashboard/src/lib/alerts.ts';
import { indexDevices, patchDevices } from '../../dashboard/src/lib/devices.ts';
import { clockSkew } from '../../dashboard/src/lib/live.ts';
import { alert, device } from './fixtures.ts';

const http = (status: number) => new ApiError(status, String(status), `HTTP ${status}`);

describe('load and session states after a failure', () => {
  it('a missing route is "missing", shown data stays "ready", anything else is "error"', () => {
    expect(failedLoad(http(404), 'loading')).toBe('missing');
    expect(failedLoad(http(501), 'ready')).toBe('missing');
    expect(failedLoad(http(500), 'ready')).toBe('ready');
    expect(failedLoad(http(500), 'loading')).toBe('error');
    expect(failedLoad(new TypeError('boom'), 'idle')).toBe('error');
  });
  it('401 asks for a login, a hub without accounts is open, the rest is unreachable', () => {
    expect(failedSession(http(401))).toBe('needed');
    expect(failedSession(http(404))).toBe('none');
    expect(failedSession(http(0))).toBe('unreachable');
    expect(failedSession(new Error('offline'))).toBe('unreachable');
    expect(isUnauthorized(http(401))).toBe(true);
    expect(isUnauthorized(http(403))).toBe(false);
    expect(errorText(new Error('x'))).toBe('x');
    expect(errorText('y')).toBe('y');
  });
});

describe('alerts a resync answer no longer lists', () => {
  const held = [
    alert({ id: 'a1' }),
    alert({ id: 'a2' }),
    alert({ id: 'a3', state: 'resolved', resolvedAt: 5 }),
    alert({ id: 'a4', state: 'acknowledged' }),
  ];
  it('are the active ones not listed and not pushed since the fetch started', () => {
    const pushed = new Map([['a4', 2000]]);
    expect(vanished(held, new Set(['a1']), pushed, 1500).map((a) => a.id)).toEqual(['a2']);
    // a push before the fetch started does not protect it
    expect(vanished(held, new Set(['a1']), pushed, 2500).map((a) => a.id)).toEqual(['a2', 'a4']);
    expect(vanished(held, new Set(['a1', 'a2', 'a4']), new Map(), 0)).toEqual([]);
  });
  it('resolved alerts of earlier days are forgotten, today\'s are kept', () => {
    const now = new Date(2026, 0, 10, 9, 0).getTime();
    const today = startOfToday(now);
    const list = [
      alert({ id: 'old', state: 'resolved', resolvedAt: today - 1 }),
      alert({ id: 'new', state: 'resolved', resolvedAt: today + 1 }),
      alert({ id: 'open', openedAt: today - 86_400_000 }),
    ];
    expect(resolvedBefore(list, today)).toEqual(['old']);
  });
});

describe('device pushes', () => {
  it('patch status in place and keep the list; a new device or a move gives a new list', () => {
    const a = device({ id: 'a', kind: 'smoke', buildingId: 'b1' });
    const b = device({ id: 'b', kind: 'smoke', buildingId: 'b1' });
    const list = [a, b];
    const index = indexDevices(list);
    expect(index.get('b')).toBe(1);

    expect(patchDevices(list, index, [['a', { ...a, online: true, lastSeenAt: 10 }]])).toBeNull();
    expect(list[0]).toBe(a);
    expect(a.online).toBe(true);

    const next = patchDevices(list, index, [
      ['b', { ...b, buildingId: 'b2' }],
      ['c', device({ id: 'c', kind: 'gate' })],
    ]);
    expect(next).not.toBeNull();
    expect(next!.map((d) => d.id)).toEqual(['a', 'b', 'c']);
    expect(next![1]!.buildingId).toBe('b2');
    expect(list[1]!.buildingId).toBe('b1'); // the old list is not changed
    expect(index.get('c')).toBe(2);
  });
});

describe('hub clock', () => {
  it('ignores sub-second skew (network delay) and corrects real drift', () => {
    expect(clockSkew(10_800, 10_000)).toBe(0);
    expect(clockSkew(8_600, 10_000)).toBe(0);
    expect(clockSkew(20_000, 10_000)).toBe(10_000);
    expect(clockSkew(5_000, 10_000)).toBe(-5_000);
  });
});
