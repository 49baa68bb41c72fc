import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '#devices';
import { Api } from '../../dashboard/src/lib/api.ts';
import { EMPTY_FILTERS, SearchPager, exportHref, filterParams, fullTime, localToEpoch, searchPath } from '../../dashboard/src/lib/alert-search.ts';
import { AlertRepository } from '../../server/src/alerts/repository.ts';
import type { Hub } from '../../server/src/hub.ts';
import { login } from '../helpers/auth.ts';
import { startHub } from '../helpers/hub.ts';

const T0 = Date.now() - 10 * 86_400_000;

describe('the alert search screen logic', () => {
  it('turns the form into query parameters, leaving empty fields out', () => {
    const f = { ...EMPTY_FILTERS, from: '2026-03-07T14:05', severity: 'critical', q: '  s1 ', state: 'resolved' };
    const sp = filterParams(f);
    expect(Number(sp.get('from'))).toBe(new Date('2026-03-07T14:05').getTime());
    expect([...sp.keys()].sort()).toEqual(['from', 'q', 'severity', 'state']);
    expect(sp.get('q')).toBe('s1');
    expect(searchPath(EMPTY_FILTERS, 'abc', 50)).toBe('/api/alerts/search?limit=50&cursor=abc');
    expect(exportHref({ ...EMPTY_FILTERS, communityId: 'c1' }, 'zh-CN')).toBe('/api/alerts/export.csv?communityId=c1&lang=zh');
    expect(exportHref(EMPTY_FILTERS, 'en')).toBe('/api/alerts/export.csv?lang=en');
    expect(localToEpoch('')).toBeUndefined();
    expect(localToEpoch('not a date')).toBeUndefined();
    expect(fullTime(null)).toBe('—');
    expect(fullTime(new Date(2026, 2, 7, 9, 5).getTime())).toBe('2026-03-07 09:05');
  });

  describe('paging a real hub', () => {
    let hub: Hub;
    let api: Api;
    beforeAll(async () => {
      hub = await startHub();
      const repo = new AlertRepository(hub.db);
      for (let i = 0; i < 250; i++) {
        repo.save({
          id: `a${String(i).padStart(3, '0')}`, communityId: 'c1', gridCellId: 'g1', deviceId: 's1', kind: 'smoke', type: 'fire_alarm', severity: i % 2 ? 'critical' : 'minor',
          state: 'resolved', title: 'Fire', openedAt: T0 + i * 1000, lastSeenAt: T0, clearedAt: null, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: T0 + i * 1000 + 5,
          resolvedBy: 'op', count: 1, assignee: null, escalationLevel: 0, incidentId: null, history: [],
        } as Alert);
      }
      api = new Api({ base: hub.httpUrl });
      api.setToken(await login(hub.httpUrl));
    });
    afterAll(async () => hub?.stop());

    it('pages through every match, then stops; a new search starts over', async () => {
      const pager = new SearchPager(api);
      const f = { ...EMPTY_FILTERS, severity: 'critical' };
      await pager.reset(f);
      expect(pager.alerts).toHaveLength(100);
      expect(pager.done).toBe(false);
      await pager.more(f);
      await pager.more(f);
      expect(pager.done).toBe(true);
      expect(pager.alerts).toHaveLength(125);
      expect(new Set(pager.alerts.map((a) => a.id)).size).toBe(125);
      expect(pager.alerts[0]!.id).toBe('a249');
      await pager.reset({ ...EMPTY_FILTERS, q: 'a00' });
      expect(pager.alerts.map((a) => a.id)).toEqual(['a009', 'a008', 'a007', 'a006', 'a005', 'a004', 'a003', 'a002', 'a001', 'a000']);
      expect(pager.done).toBe(true);
    });
  });
});
